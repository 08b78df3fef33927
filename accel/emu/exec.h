/*
 * The interpreter: runs translated blocks (direct-threaded), checking
 * interrupts, timers and stop requests between blocks only.
 */
#ifndef ACCEL_EMU_EXEC_H
#define ACCEL_EMU_EXEC_H

#include <stdbool.h>

struct hart;
struct dinsn;

/* enum op -> the interpreter's entry for it (for the translation cache) */
const void *const *exec_labels(void);

/* Out-of-line instruction groups; false means h->exc_cause/exc_tval is to be raised. */
bool exec_csr(struct hart *h, const struct dinsn *d);
bool exec_amo(struct hart *h, const struct dinsn *d);
bool exec_fp(struct hart *h, const struct dinsn *d);
bool exec_cbo(struct hart *h, const struct dinsn *d);

#endif
