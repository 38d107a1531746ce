// A FileSystem whose files run test code around chosen calls: crash images
// taken at a page write, a torn write, a sync held at a gate. `overrides`
// sees each file as it is opened or created and returns replacements for
// any of its methods (calling through to the file as they like); every other
// call, on the files and on the filesystem, goes straight through.

import type { File, FileSystem } from '../file-system.js';

export type FileOverrides = Partial<Pick<File, 'read' | 'readInto' | 'append' | 'writeAt' | 'truncate' | 'size' | 'sync' | 'datasync' | 'close'>>;

function passThrough<T extends object>(target: T, override: (prop: string | symbol) => unknown): T {
  return new Proxy(target, {
    get(t, prop, receiver): unknown {
      const o = override(prop);
      if (o !== undefined) return o;
      const v: unknown = Reflect.get(t, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

export function interceptFiles(fs: FileSystem, overrides: (file: File) => FileOverrides): FileSystem {
  const wrap = (file: File): File => {
    const o = overrides(file) as Record<string | symbol, unknown>;
    return passThrough(file, (prop) => o[prop]);
  };
  return passThrough(fs, (prop) => {
    if (prop === 'open') return (path: string, options?: Parameters<FileSystem['open']>[1]): File => wrap(fs.open(path, options));
    if (prop === 'create') return (path: string, options?: Parameters<FileSystem['create']>[1]): File => wrap(fs.create(path, options));
    return undefined;
  });
}
