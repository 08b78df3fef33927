#include "hw/display/edid.h"

#include <string.h>

/* VESA E-EDID 1.4 layout (offsets in the base block) */
#define EDID_HEADER		0x00
#define EDID_VENDOR		0x08
#define EDID_PRODUCT		0x0a
#define EDID_SERIAL		0x0c
#define EDID_WEEK		0x10
#define EDID_YEAR		0x11
#define EDID_VERSION		0x12
#define EDID_REVISION		0x13
#define EDID_INPUT		0x14
#define EDID_SIZE_H_CM		0x15
#define EDID_SIZE_V_CM		0x16
#define EDID_GAMMA		0x17
#define EDID_FEATURES		0x18
#define EDID_CHROMA		0x19
#define EDID_ESTABLISHED	0x23
#define EDID_STANDARD		0x26
#define EDID_DESCRIPTOR(i)	(0x36 + 18 * (i))
#define EDID_EXTENSIONS		0x7e
#define EDID_CHECKSUM		0x7f

#define EDID_INPUT_DIGITAL_8BPC	0xa0	/* digital, 8 bits per colour, interface undefined */
#define EDID_FEATURE_RGB	0x04	/* RGB 4:4:4 */
#define EDID_FEATURE_PREFERRED	0x02	/* the first detailed timing is the preferred mode */
#define EDID_FEATURE_CONTINUOUS	0x01	/* continuous frequency: any mode in the range */
#define EDID_YEAR_BASE		1990

/* established timings (byte 0x23, 0x24) */
#define EST_640x480_60		(1u << 5)	/* 0x23 */
#define EST_800x600_60		(1u << 0)	/* 0x23 */
#define EST_1024x768_60		(1u << 3)	/* 0x24 */

/* standard timing aspect ratios (bits 7:6 of the second byte), version 1.3+ */
#define STD_16_10		0x00
#define STD_4_3			0x40
#define STD_5_4			0x80
#define STD_16_9		0xc0
#define STD_UNUSED		0x0101

/* display descriptors */
#define DESC_NAME		0xfc
#define DESC_RANGE		0xfd

#define REFRESH_HZ		60

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/*
 * A detailed timing: CVT reduced blanking (160 pixels of horizontal
 * blanking, at least 460 us of vertical), which any mode fits.
 */
static void detailed_timing(uint8_t *d, uint32_t w, uint32_t h)
{
	uint32_t hblank = 160, hfront = 48, hsync = 32;
	uint32_t vfront = 3, vsync = 6, vblank = 23;
	uint64_t clock_10khz = (uint64_t)(w + hblank) * (h + vblank) * REFRESH_HZ / 10000;

	if (clock_10khz > 0xffff)
		clock_10khz = 0xffff;
	put16(d, (uint16_t)clock_10khz);
	d[2] = (uint8_t)w;
	d[3] = (uint8_t)hblank;
	d[4] = (uint8_t)(((w >> 8) & 0xf) << 4 | ((hblank >> 8) & 0xf));
	d[5] = (uint8_t)h;
	d[6] = (uint8_t)vblank;
	d[7] = (uint8_t)(((h >> 8) & 0xf) << 4 | ((vblank >> 8) & 0xf));
	d[8] = (uint8_t)hfront;
	d[9] = (uint8_t)hsync;
	d[10] = (uint8_t)((vfront & 0xf) << 4 | (vsync & 0xf));
	d[11] = (uint8_t)(((hfront >> 8) & 3) << 6 | ((hsync >> 8) & 3) << 4 |
			  ((vfront >> 4) & 3) << 2 | ((vsync >> 4) & 3));
	/* image size in mm: 0.25 mm pixels, a 100 dpi monitor */
	d[12] = (uint8_t)(w / 4);
	d[13] = (uint8_t)(h / 4);
	d[14] = (uint8_t)(((w / 4) >> 8 & 0xf) << 4 | ((h / 4) >> 8 & 0xf));
	d[17] = 0x18 | 0x02;	/* digital separate sync, +hsync, -vsync (CVT-RB) */
}

static void text_descriptor(uint8_t *d, uint8_t tag, const char *text)
{
	size_t n = strlen(text);

	memset(d, 0, 18);
	d[3] = tag;
	memset(d + 5, ' ', 13);
	memcpy(d + 5, text, n > 13 ? 13 : n);
	if (n < 13)
		d[5 + n] = '\n';
}

static void range_descriptor(uint8_t *d)
{
	memset(d, 0, 18);
	d[3] = DESC_RANGE;
	d[5] = 50;	/* vertical Hz, min and max */
	d[6] = 125;
	d[7] = 30;	/* horizontal kHz */
	d[8] = 160;
	d[9] = 60;	/* pixel clock, 10 MHz units */
	d[10] = 0x01;	/* range limits only */
	d[11] = '\n';
	memset(d + 12, ' ', 6);
}

/* A standard timing: horizontal pixels / 8 - 31, aspect and refresh - 60. */
static uint16_t standard_timing(uint32_t w, uint8_t aspect)
{
	return (uint16_t)((w / 8 - 31) | (uint16_t)(aspect | (REFRESH_HZ - 60)) << 8);
}

void edid_build(uint8_t out[EDID_BLOCK_SIZE], uint32_t width, uint32_t height)
{
	static const uint8_t header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
	/* sRGB primaries and D65 white, 10-bit fractions as VESA packs them */
	static const uint8_t chroma[10] = { 0xee, 0x91, 0xa3, 0x54, 0x4c, 0x99, 0x26, 0x0f,
					    0x50, 0x54 };
	static const struct { uint16_t width; uint8_t aspect; } std[] = {
		{ 1280, STD_16_10 }, { 1280, STD_5_4 }, { 1600, STD_4_3 }, { 1920, STD_16_9 },
	};
	unsigned i, sum = 0;

	memset(out, 0, EDID_BLOCK_SIZE);
	memcpy(out + EDID_HEADER, header, sizeof(header));
	/* "GSG": three 5-bit letters, A = 1, big-endian */
	out[EDID_VENDOR] = (uint8_t)(('G' - '@') << 2 | ('S' - '@') >> 3);
	out[EDID_VENDOR + 1] = (uint8_t)((('S' - '@') & 7) << 5 | ('G' - '@'));
	put16(out + EDID_PRODUCT, 0x0001);
	out[EDID_SERIAL] = 1;
	out[EDID_WEEK] = 1;
	out[EDID_YEAR] = 2026 - EDID_YEAR_BASE;
	out[EDID_VERSION] = 1;
	out[EDID_REVISION] = 4;
	out[EDID_INPUT] = EDID_INPUT_DIGITAL_8BPC;
	out[EDID_SIZE_H_CM] = (uint8_t)(width / 40 ? width / 40 : 1);
	out[EDID_SIZE_V_CM] = (uint8_t)(height / 40 ? height / 40 : 1);
	out[EDID_GAMMA] = 120;	/* 2.2 */
	out[EDID_FEATURES] = EDID_FEATURE_RGB | EDID_FEATURE_PREFERRED | EDID_FEATURE_CONTINUOUS;
	memcpy(out + EDID_CHROMA, chroma, sizeof(chroma));
	out[EDID_ESTABLISHED] = EST_640x480_60 | EST_800x600_60;
	out[EDID_ESTABLISHED + 1] = EST_1024x768_60;
	for (i = 0; i < 8; i++) {
		uint16_t v = STD_UNUSED;

		if (i < sizeof(std) / sizeof(std[0]))
			v = standard_timing(std[i].width, std[i].aspect);
		out[EDID_STANDARD + 2 * i] = (uint8_t)v;
		out[EDID_STANDARD + 2 * i + 1] = (uint8_t)(v >> 8);
	}
	detailed_timing(out + EDID_DESCRIPTOR(0), width, height);
	range_descriptor(out + EDID_DESCRIPTOR(1));
	text_descriptor(out + EDID_DESCRIPTOR(2), DESC_NAME, "gasang");
	text_descriptor(out + EDID_DESCRIPTOR(3), DESC_NAME, "gasang");
	out[EDID_DESCRIPTOR(3) + 3] = 0x10;	/* dummy descriptor */
	memset(out + EDID_DESCRIPTOR(3) + 5, 0, 13);
	out[EDID_EXTENSIONS] = 0;
	for (i = 0; i < EDID_CHECKSUM; i++)
		sum += out[i];
	out[EDID_CHECKSUM] = (uint8_t)(0x100 - (sum & 0xff));
}
