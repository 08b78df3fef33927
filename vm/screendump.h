/* A screen copy (hw/virtio/virtio-gpu.h) written as a PNG (libpng), as QEMU's screendump does. */
#ifndef VM_SCREENDUMP_H
#define VM_SCREENDUMP_H

#include "hw/virtio/virtio-gpu.h"

/* Write img to fd as an 8-bit RGB PNG, with write() only (no stdio: the sandbox). */
int screendump_png(int fd, const struct gpu_image *img);

#endif
