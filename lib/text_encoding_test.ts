import { assertEquals } from "../tests/_assert.ts";
import { asciiBytes } from "./text_encoding.ts";

Deno.test("asciiBytes() gives the bytes TextEncoder gives for ASCII", () => {
  for (const text of ["", "12345\n", "run\n", "down, normally up, want up\n"]) {
    assertEquals(asciiBytes(text), new TextEncoder().encode(text));
  }
});
