// libc through koffi, for the device transports (tee://, mmc://): open,
// close, ioctl (variadic, the argument passed as a pointer), mmap, munmap.
// Symbols come from the process's global scope (koffi.load(null), i.e.
// dlopen(NULL)), so they are the libc functions every other caller in the
// process gets, and an LD_PRELOAD library interposes on them the same way
// (that is how test/native/devdouble.c stands in for the kernel).
// koffi is loaded on first use: a run that never opens a device never needs it.
import { createRequire } from 'node:module';
import { TransportError } from '../types.js';

type KoffiModule = typeof import('koffi');
type Fn = ((...args: unknown[]) => number) & { async: (...args: unknown[]) => void };

export interface Libc {
  koffi: KoffiModule;
  open(path: string, flags: number): number;
  close(fd: number): number;
  /** Synchronous ioctl with a pointer argument (fast calls: VERSION, SHM_ALLOC, CLOSE, CANCEL). */
  ioctl(fd: number, req: number, arg: Buffer): number;
  /** The same ioctl on a koffi worker thread: the event loop keeps running while the TEE or eMMC works. */
  ioctlAsync(fd: number, req: number, arg: Buffer): Promise<{ rc: number; errno: number }>;
  /** errno right after the last call (on the main thread, or handed back by the worker). */
  errno(): number;
  mmap(len: number, fd: number): { ptr: unknown; view: Uint8Array };
  munmap(ptr: unknown, len: number): void;
}

export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;

let cached: Libc | undefined;

export function libc(): Libc {
  if (cached) return cached;
  let koffi: KoffiModule;
  try {
    koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
  } catch (e) {
    throw new TransportError('unsupported', `the koffi FFI module is not available on this machine (${(e as Error).message}); device transports need it`);
  }
  const lib = koffi.load(null);
  const open = lib.func('int open(const char *path, int flags, ...)') as unknown as Fn;
  const close = lib.func('int close(int fd)') as unknown as Fn;
  // ioctl is variadic in libc; koffi runs only fixed-argument prototypes on its worker threads, so it is
  // declared with one pointer argument. On x86_64 and arm64 Linux a pointer after two integer arguments
  // travels in the same register either way (shared/reference/tee.md section 5 observed both forms).
  const ioctl = lib.func('int ioctl(int fd, unsigned long req, void *arg)') as unknown as Fn;
  const mmap = lib.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)') as unknown as (...a: unknown[]) => unknown;
  const munmap = lib.func('int munmap(void *addr, size_t len)') as unknown as Fn;
  cached = {
    koffi,
    open: (path, flags) => open(path, flags),
    close: (fd) => close(fd),
    ioctl: (fd, req, arg) => ioctl(fd, req, arg),
    ioctlAsync: (fd, req, arg) =>
      new Promise((resolve, reject) => {
        // koffi hands the worker thread's errno back, readable inside the callback only
        // (later main-thread calls overwrite it)
        ioctl.async(fd, req, arg, (err: unknown, res: number) => (err ? reject(err as Error) : resolve({ rc: res, errno: res < 0 ? koffi.errno() : 0 })));
      }),
    errno: () => koffi.errno(),
    mmap: (len, fd) => {
      const ptr = mmap(null, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      const addr = ptr === null ? 0n : koffi.address(ptr);
      if (addr === 0n || addr === 0xffff_ffff_ffff_ffffn) {
        throw new TransportError('connect', `mmap of ${len} bytes of shared memory failed (errno ${koffi.errno()})`);
      }
      return { ptr, view: new Uint8Array(koffi.view(ptr, len)) };
    },
    munmap: (ptr, len) => {
      munmap(ptr, len);
    },
  };
  return cached;
}

/**
 * The address of a Buffer, to store in a struct (buf_ptr, data_ptr). A
 * Buffer's backing store never moves; the caller keeps the Buffer referenced
 * until the ioctl that uses the address has returned.
 */
export function addressOf(b: Buffer): bigint {
  return libc().koffi.address(b);
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  5: 'EIO',
  9: 'EBADF',
  12: 'ENOMEM',
  13: 'EACCES',
  14: 'EFAULT',
  16: 'EBUSY',
  19: 'ENODEV',
  22: 'EINVAL',
  25: 'ENOTTY',
  62: 'ETIME',
  110: 'ETIMEDOUT',
};
export function errnoName(n: number): string {
  return `${ERRNO_NAMES[n] ?? 'errno'} (${n})`;
}
