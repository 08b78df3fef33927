/* HTIF, the bare-metal tests' console and exit: commands written to tohost. */
#ifndef GUEST_RISCV_HTIF_H
#define GUEST_RISCV_HTIF_H

#define HTIF_DEV_CONSOLE   1UL
#define HTIF_CMD_PUTCHAR   1UL
#define HTIF_CONSOLE_PUTCHAR ((HTIF_DEV_CONSOLE << 56) | (HTIF_CMD_PUTCHAR << 48))

#endif
