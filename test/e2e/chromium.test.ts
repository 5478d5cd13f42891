/** The browser tests' Chromium lookup (test/helpers/chromium.ts), with the file system and environment injected. */
import { describe, expect, it } from "vitest";
import { CHROMIUM_CANDIDATES, findChromium } from "../helpers/chromium.ts";

const only =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

describe("findChromium", () => {
  it("takes CHROME_PATH first, then CHROMIUM_PATH", () => {
    const exists = only("/opt/chrome", "/opt/chromium", "/usr/bin/chromium");
    expect(findChromium({ env: { CHROME_PATH: "/opt/chrome", CHROMIUM_PATH: "/opt/chromium" }, exists })).toBe(
      "/opt/chrome",
    );
    expect(findChromium({ env: { CHROMIUM_PATH: "/opt/chromium" }, exists })).toBe("/opt/chromium");
  });

  it("fails on a CHROME_PATH that does not exist instead of silently taking another browser", () => {
    expect(() => findChromium({ env: { CHROME_PATH: "/nope/chrome" }, exists: only("/usr/bin/chromium") })).toThrow(
      "CHROME_PATH=/nope/chrome does not exist",
    );
  });

  it("finds Debian's, Ubuntu's, Google's and the macOS apps' executables, in that order", () => {
    expect(findChromium({ env: {}, exists: only("/usr/bin/chromium", "/usr/bin/google-chrome") })).toBe(
      "/usr/bin/chromium",
    );
    expect(findChromium({ env: {}, exists: only("/usr/bin/chromium-browser") })).toBe("/usr/bin/chromium-browser");
    expect(findChromium({ env: {}, exists: only("/usr/bin/google-chrome") })).toBe("/usr/bin/google-chrome");
    const mac = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome";
    expect(findChromium({ env: {}, exists: only(mac, "/Applications/Chromium.app/Contents/MacOS/Chromium") })).toBe(
      mac,
    );
    expect(findChromium({ env: {}, exists: only("/Applications/Chromium.app/Contents/MacOS/Chromium") })).toBe(
      "/Applications/Chromium.app/Contents/MacOS/Chromium",
    );
    expect(CHROMIUM_CANDIDATES.indexOf("/usr/bin/chromium")).toBe(0);
  });

  it("without any browser, fails with one line saying what to install", () => {
    let message = "";
    try {
      findChromium({ env: {}, exists: () => false });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^no Chromium or Chrome found .*apt-get install chromium.*CHROME_PATH/);
    expect(message).not.toContain("\n");
  });
});
