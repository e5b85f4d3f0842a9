// A line chart as a PNG, with nothing but Node: an RGB canvas, lines drawn point to point, 5×7 digits for
// the axis labels, and the PNG container (zlib-deflated scanlines, CRC-32 chunks). For the soak's memory
// curve in the README.
import { crc32, deflateSync } from "node:zlib";

export interface Series {
  readonly name: string;
  readonly color: readonly [number, number, number];
  /** [x, y] points, x increasing. */
  readonly points: readonly (readonly [number, number])[];
}

const DIGITS: Record<string, string[]> = {
  "0": ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
  "1": ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
  "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
  "3": ["11110", "00001", "00001", "01110", "00001", "00001", "11110"],
  "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
  "5": ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
  "6": ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
  "7": ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
  "8": ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
  "9": ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
  ".": ["00000", "00000", "00000", "00000", "00000", "01100", "01100"],
};

export function linePng(series: readonly Series[], width = 800, height = 400): Uint8Array {
  const px = new Uint8Array(width * height * 3).fill(255);
  const set = (x: number, y: number, c: readonly number[]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = 3 * (Math.round(y) * width + Math.round(x));
    px[i] = c[0]!;
    px[i + 1] = c[1]!;
    px[i + 2] = c[2]!;
  };
  const line = (x0: number, y0: number, x1: number, y1: number, c: readonly number[]) => {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let k = 0; k <= n; k++) set(x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n, c);
  };
  const text = (s: string, x: number, y: number) => {
    for (const [n, ch] of [...s].entries())
      DIGITS[ch]?.forEach((row, r) => {
        for (let col = 0; col < 5; col++) if (row[col] === "1") set(x + 6 * n + col, y + r, [0, 0, 0]);
      });
  };
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(...all.map((p) => p[0]), 1);
  const yMax = Math.max(...all.map((p) => p[1]), 1) * 1.1;
  const L = 50;
  const B = height - 30;
  const X = (x: number) => L + (x / xMax) * (width - L - 20);
  const Y = (y: number) => B - (y / yMax) * (B - 20);
  line(L, 20, L, B, [0, 0, 0]);
  line(L, B, width - 20, B, [0, 0, 0]);
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    line(L - 4, Y(v), L, Y(v), [0, 0, 0]);
    text(v.toFixed(0), 2, Y(v) - 3);
    const t = (xMax * k) / 4;
    line(X(t), B, X(t), B + 4, [0, 0, 0]);
    text(t.toFixed(0), X(t) - 6, B + 8);
  }
  for (const s of series)
    for (let k = 1; k < s.points.length; k++) {
      const [a, b] = [s.points[k - 1]!, s.points[k]!];
      line(X(a[0]), Y(a[1]), X(b[0]), Y(b[1]), s.color);
    }
  // the PNG: signature, IHDR, IDAT (each scanline prefixed by filter 0), IEND
  const raw = new Uint8Array(height * (1 + 3 * width));
  for (let y = 0; y < height; y++)
    raw.set(px.subarray(3 * width * y, 3 * width * (y + 1)), y * (1 + 3 * width) + 1);
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, "latin1");
    Buffer.from(data).copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", new Uint8Array()),
  ]);
}
