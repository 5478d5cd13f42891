/**
 * A minimal POSIX ustar writer: Framework extracts data files from a .tar produced by one data loader, which lets
 * one loader run emit the data of every customer page (a loader per page would start hundreds of processes).
 */
function header(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(512, 0);
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length > 100) throw new Error(`tar member name longer than 100 bytes: ${name}`);
  nameBytes.copy(h, 0);
  const octal = (value: number, offset: number, length: number) =>
    h.write(value.toString(8).padStart(length - 1, "0") + "\0", offset, length, "ascii");
  octal(0o644, 100, 8); // mode
  octal(0, 108, 8); // uid
  octal(0, 116, 8); // gid
  octal(size, 124, 12);
  octal(Math.floor(mtime / 1000), 136, 12);
  h.write("        ", 148, 8, "ascii"); // checksum is computed with this field as spaces
  h.write("0", 156, 1, "ascii"); // regular file
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return h;
}

/** A tar archive of `files` (name -> contents). */
export function tarArchive(files: { name: string; content: Buffer | string }[], mtime = Date.now()): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const content = typeof file.content === "string" ? Buffer.from(file.content, "utf8") : file.content;
    parts.push(header(file.name, content.length, mtime), content);
    const pad = (512 - (content.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}
