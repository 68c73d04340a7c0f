import { describe, expect, it } from "vitest";

import { FrameDrawer, parseStatus } from "./preview";

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("FrameDrawer", () => {
  it("draws the newest frame and drops the ones that queued behind a slow decode", async () => {
    const pending: { blob: Blob; done: ReturnType<typeof deferred<string>> }[] = [];
    const drawn: string[] = [];
    const drawer = new FrameDrawer<string>(
      (blob) => {
        const done = deferred<string>();
        pending.push({ blob, done });
        return done.promise;
      },
      (image) => drawn.push(image),
    );
    const frame = (n: number) => new Blob([String(n)]);
    drawer.push(frame(1)); // decoding starts
    drawer.push(frame(2)); // waits
    drawer.push(frame(3)); // replaces 2
    drawer.push(frame(4)); // replaces 3
    expect(pending).toHaveLength(1);
    pending[0]!.done.resolve("1");
    await new Promise((r) => setTimeout(r, 0));
    expect(pending).toHaveLength(2);
    expect(await pending[1]!.blob.text()).toBe("4");
    pending[1]!.done.resolve("4");
    await new Promise((r) => setTimeout(r, 0));
    expect(drawn).toEqual(["1", "4"]);
    expect(drawer.dropped).toBe(2);
  });

  it("skips undecodable frames and stops drawing when closed", async () => {
    const drawn: number[] = [];
    const drawer = new FrameDrawer<number>(
      async (blob) => {
        const n = Number(await blob.text());
        if (Number.isNaN(n)) throw new Error("bad jpeg");
        return n;
      },
      (n) => drawn.push(n),
    );
    drawer.push(new Blob(["x"]));
    await new Promise((r) => setTimeout(r, 0));
    drawer.push(new Blob(["7"]));
    await new Promise((r) => setTimeout(r, 0));
    drawer.close();
    drawer.push(new Blob(["8"]));
    await new Promise((r) => setTimeout(r, 0));
    expect(drawn).toEqual([7]);
    expect(drawer.dropped).toBe(1);
  });
});

describe("parseStatus", () => {
  it("reads status messages only", () => {
    expect(parseStatus('{"type":"status","state":"live","fps":25}')?.state).toBe("live");
    expect(parseStatus('{"type":"other"}')).toBeNull();
    expect(parseStatus("nope")).toBeNull();
  });
});
