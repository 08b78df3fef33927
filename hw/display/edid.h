/*
 * An EDID 1.4 base block (VESA E-EDID) describing gasang's virtual monitor:
 * the preferred mode as a detailed timing, the other modes offered as
 * established and standard timings, a range-limits and a name descriptor.
 */
#ifndef HW_DISPLAY_EDID_H
#define HW_DISPLAY_EDID_H

#include <stdint.h>

#define EDID_BLOCK_SIZE		128

/* Fill out with the block for a monitor whose preferred mode is width x height at 60 Hz. */
void edid_build(uint8_t out[EDID_BLOCK_SIZE], uint32_t width, uint32_t height);

#endif
