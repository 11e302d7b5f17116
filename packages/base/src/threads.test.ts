import { afterAll, describe, expect, it } from 'vitest';
import { WorkerError, WorkerLink } from './threads';

const links: WorkerLink[] = [];
afterAll(async () => {
  await Promise.all(links.map((l) => l.close()));
});

describe('WorkerLink', () => {
  it('answers requests synchronously, in order, with the data it was started with', () => {
    const link = new WorkerLink(new URL('./threads.fixture.ts', import.meta.url), { offset: 100 });
    links.push(link);
    expect(link.request({ op: 'add', x: 1 })).toBe(101);
    expect(link.request({ op: 'later' })).toBe('later');
    // post, work here, then wait: the two threads overlap
    link.post({ op: 'add', x: 5 });
    let local = 0;
    for (let i = 0; i < 1000; i++) local += i;
    expect(link.wait<number>() + local).toBe(105 + 499500);
    expect(Array.from(link.request<Float64Array>({ op: 'double', data: Float64Array.of(1, 2.5) }))).toEqual([2, 5]);
    // ready() polls without blocking; busy until the reply is taken
    expect([link.busy, link.ready()]).toEqual([false, false]);
    link.post({ op: 'later' });
    expect(link.busy).toBe(true);
    const deadline = Date.now() + 5000;
    while (!link.ready() && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    expect(link.ready()).toBe(true);
    expect(link.wait()).toBe('later');
    expect(link.busy).toBe(false);
  });

  it('takes a reply posted shortly after its flag, and gives up on one that never comes, naming the worker', () => {
    const link = new WorkerLink(new URL('./threads.fixture.ts', import.meta.url), { offset: 100 });
    links.push(link);
    expect(link.request({ op: 'flag-first' })).toBe('late');
    expect(link.request({ op: 'add', x: 2 })).toBe(102);
    const silent = new WorkerLink(new URL('./threads.fixture.ts', import.meta.url), { offset: 0 });
    links.push(silent);
    expect(() => silent.request({ op: 'flag-only' })).toThrow(/WorkerLink \(threads\.fixture\.ts\): the worker signalled a reply but none arrived within 2000 ms/);
  });

  it("re-throws the worker's error in the caller and keeps serving", () => {
    const link = new WorkerLink(new URL('./threads.fixture.ts', import.meta.url), { offset: 0 });
    links.push(link);
    expect(() => link.request({ op: 'fail' })).toThrow(WorkerError);
    expect(() => link.request({ op: 'fail' })).toThrow(/asked to fail/);
    expect(link.request({ op: 'add', x: 2 })).toBe(2);
    expect(() => link.wait()).toThrow(/no request is pending/);
    link.post({ op: 'add', x: 1 });
    expect(() => link.post({ op: 'add', x: 1 })).toThrow(/already pending/);
    expect(link.wait()).toBe(1);
  });

  it('reports a worker that cannot start instead of blocking', () => {
    const link = new WorkerLink(new URL('./no-such-module.ts', import.meta.url));
    links.push(link);
    expect(() => link.request({ op: 'add', x: 1 })).toThrow(/worker failed to start/);
  });
});
