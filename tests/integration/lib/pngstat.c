/*
 * pngstat FILE.png: prints "WIDTH HEIGHT LIT" for an 8-bit RGB PNG (what
 * gasang's screendump writes), LIT being the pixels that are not black.
 * Built by the display tests with the host's cc and libpng.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	unsigned long lit = 0;
	png_bytep buf;
	size_t i, n;

	if (argc != 2 || !png_image_begin_read_from_file(&img, argv[1])) {
		fprintf(stderr, "pngstat: %s: %s\n", argc == 2 ? argv[1] : "usage: pngstat FILE.png",
			img.message);
		return 1;
	}
	img.format = PNG_FORMAT_RGB;
	n = PNG_IMAGE_SIZE(img);
	buf = malloc(n);
	if (!buf || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
		fprintf(stderr, "pngstat: %s: %s\n", argv[1], img.message);
		return 1;
	}
	for (i = 0; i + 2 < n; i += 3)
		lit += buf[i] || buf[i + 1] || buf[i + 2];
	printf("%u %u %lu\n", img.width, img.height, lit);
	free(buf);
	return 0;
}
