#include "vm/screendump.h"

#include <errno.h>
#include <png.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"

struct png_sink {
	int fd;
	int err;
};

static void sink_write(png_structp png, png_bytep data, size_t len)
{
	struct png_sink *s = png_get_io_ptr(png);

	while (len && !s->err) {
		ssize_t w = write(s->fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->err = w < 0 ? -errno : -EIO;
			break;
		}
		data += w;
		len -= (size_t)w;
	}
	if (s->err)
		png_error(png, "write failed");
}

static void sink_flush(png_structp png)
{
	(void)png;
}

int screendump_png(int fd, const struct gpu_image *img)
{
	struct png_sink sink = { fd, 0 };
	png_structp png;
	png_infop info;
	uint32_t y;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (!png)
		return error_set(-ENOMEM, "png: out of memory");
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return error_set(-ENOMEM, "png: out of memory");
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return error_set(sink.err ? sink.err : -EIO, "writing the PNG: %s",
				 strerror(sink.err ? -sink.err : EIO));
	}
	png_set_write_fn(png, &sink, sink_write, sink_flush);
	png_set_IHDR(png, info, img->width, img->height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < img->height; y++)
		png_write_row(png, img->rgb + (size_t)y * img->width * 3);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}
