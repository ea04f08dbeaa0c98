/*
 * fwsec test double at the syscall boundary: an LD_PRELOAD library that
 * stands in for the kernel behind /dev/teeN, /dev/tpmrm0 and
 * /dev/mmcblkNrpmb in one child process. Built with the machine's gcc at
 * test time (test/helpers/devdouble.ts); never committed as a binary.
 *
 * It interprets the ioctl arguments with the kernel's own uapi headers
 * (<linux/tee.h>, <linux/mmc/ioctl.h> from linux-libc-dev), so a layout or
 * ioctl-number mistake in fwsec's TypeScript shows up as EINVAL/ENOTTY or as
 * wrong fields, and forwards each operation, field by field, as one text
 * line to a test server ($FWSEC_DOUBLE_SOCKET, a Unix stream socket) that
 * plays the secure world with the fwsec reference stack.
 *
 *   FWSEC_DOUBLE_DEVICES=/dev/tee0=tee,/dev/tpmrm0=tpm,/dev/mmcblk0rpmb=mmc
 *
 * Kernel behaviour reproduced: argument size checks of tee_ioctl_open_session
 * / tee_ioctl_invoke (buf_len == header + num_params * 32, <= TEE_MAX_ARG_SIZE),
 * memref bounds against the shared memory, SHM_ALLOC returning an fd to
 * mmap, EINVAL for unknown TEE ioctls, MMC_IOC_MAX_CMDS, and the TPM
 * character device's one-command-per-write / one-response-per-read
 * semantics (a SOCK_SEQPACKET socket pair keeps message boundaries).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mmc/ioctl.h>
#include <linux/tee.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MMC_IOC_MAX_CMDS
#define MMC_IOC_MAX_CMDS 255
#endif

enum kind { K_NONE = 0, K_TEE, K_TPM, K_MMC };
#define MAX_FD 4096
static enum kind fd_kind[MAX_FD];
static char *fd_path[MAX_FD]; /* the device path each double descriptor was opened as */

struct shm {
	int id;
	size_t size;
	uint8_t *map;
};
#define MAX_SHM 512
static struct shm shms[MAX_SHM];
static int nshm;
static int next_shm_id = 1;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int srv = -1;
static uint32_t impl_id; /* from the last TEE_IOC_VERSION answer: 3 = tstee semantics for INVOKE */

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);

static void init_real(void)
{
	if (!real_open) real_open = dlsym(RTLD_NEXT, "open");
	if (!real_open64) real_open64 = dlsym(RTLD_NEXT, "open64");
	if (!real_ioctl) real_ioctl = dlsym(RTLD_NEXT, "ioctl");
}

static enum kind kind_for(const char *path)
{
	const char *spec = getenv("FWSEC_DOUBLE_DEVICES");
	size_t plen = strlen(path);
	if (!spec || !path) return K_NONE;
	while (*spec) {
		const char *eq = strchr(spec, '=');
		const char *end = strchr(spec, ',');
		if (!end) end = spec + strlen(spec);
		if (eq && eq < end && (size_t)(eq - spec) == plen && !strncmp(spec, path, plen)) {
			size_t kl = (size_t)(end - eq - 1);
			if (kl == 3 && !strncmp(eq + 1, "tee", 3)) return K_TEE;
			if (kl == 3 && !strncmp(eq + 1, "tpm", 3)) return K_TPM;
			if (kl == 3 && !strncmp(eq + 1, "mmc", 3)) return K_MMC;
		}
		spec = *end ? end + 1 : end;
	}
	return K_NONE;
}

/* ---- growable string ---- */
struct buf {
	char *p;
	size_t n, cap;
};
static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}
static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(b, tmp, (size_t)n);
}
static void puthex(struct buf *b, const uint8_t *d, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		char two[2] = { hx[d[i] >> 4], hx[d[i] & 15] };
		put(b, two, 2);
	}
}

/* ---- the line protocol to the test server ---- */
static int connect_srv(void)
{
	const char *path = getenv("FWSEC_DOUBLE_SOCKET");
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (!path || strlen(path) >= sizeof(a.sun_path)) return -1;
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/* Sends one line, returns the answer line (malloc'd) or NULL. */
static char *rpc(struct buf *line)
{
	char *out = NULL;
	pthread_mutex_lock(&mu);
	if (srv < 0) srv = connect_srv();
	if (srv >= 0) {
		put(line, "\n", 1);
		size_t off = 0;
		while (off < line->n) {
			ssize_t w = write(srv, line->p + off, line->n - off);
			if (w <= 0) goto done;
			off += (size_t)w;
		}
		struct buf in = { 0 };
		char c[4096];
		for (;;) {
			ssize_t r = read(srv, c, sizeof(c));
			if (r <= 0) {
				free(in.p);
				goto done;
			}
			put(&in, c, (size_t)r);
			char *nl = memchr(in.p, '\n', in.n);
			if (nl) {
				*nl = 0;
				out = in.p;
				break;
			}
		}
	}
done:
	pthread_mutex_unlock(&mu);
	free(line->p);
	line->p = NULL;
	line->n = line->cap = 0;
	return out;
}

/* value of "key=" in a reply line, or NULL */
static const char *field(const char *line, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = line; p && *p; p = strchr(p, ' ')) {
		while (*p == ' ') p++;
		if (!strncmp(p, key, kl) && p[kl] == '=') return p + kl + 1;
	}
	return NULL;
}
static unsigned long long num(const char *line, const char *key, unsigned long long dflt)
{
	const char *v = field(line, key);
	return v ? strtoull(v, NULL, 0) : dflt;
}
/* decodes the hex value of key into dst (at most max bytes); returns bytes in the reply, -1 if absent */
static long hexfield(const char *line, const char *key, uint8_t *dst, size_t max)
{
	const char *v = field(line, key);
	if (!v) return -1;
	size_t n = 0;
	while (v[n * 2] && v[n * 2] != ' ' && v[n * 2 + 1]) {
		unsigned x;
		if (sscanf(v + n * 2, "%2x", &x) != 1) break;
		if (n < max) dst[n] = (uint8_t)x;
		n++;
	}
	return (long)n;
}
/* "errno=N" in a reply: set errno, return -1; "ok": return 0 */
static int status_of(const char *reply)
{
	if (!reply) {
		errno = EIO;
		return -1;
	}
	if (!strncmp(reply, "errno=", 6)) {
		errno = atoi(reply + 6);
		return -1;
	}
	return 0;
}

/* ---- TPM: a SEQPACKET pair; a thread carries each command to the server ---- */
static void *tpm_thread(void *arg)
{
	int s = (int)(intptr_t)arg;
	uint8_t *cmd = malloc(65536);
	for (;;) {
		ssize_t n = recv(s, cmd, 65536, 0);
		if (n <= 0) break;
		struct buf line = { 0 };
		putf(&line, "TPM cmd=");
		puthex(&line, cmd, (size_t)n);
		char *reply = rpc(&line);
		if (!reply) break;
		if (!strncmp(reply, "close", 5)) {
			free(reply);
			break;
		}
		uint8_t *rsp = malloc(65536);
		long rl = hexfield(reply, "rsp", rsp, 65536);
		if (rl >= 0) send(s, rsp, (size_t)rl, 0);
		free(rsp);
		free(reply);
	}
	free(cmd);
	close(s);
	return NULL;
}

static int double_open(const char *path, enum kind k, int flags)
{
	struct buf line = { 0 };
	putf(&line, "OPEN kind=%s path=%s flags=%d", k == K_TEE ? "tee" : k == K_TPM ? "tpm" : "mmc", path, flags);
	char *reply = rpc(&line);
	int st = status_of(reply);
	free(reply);
	if (st < 0) return -1;
	int fd;
	if (k == K_TPM) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return -1;
		if (flags & O_NONBLOCK) fcntl(sv[0], F_SETFL, O_NONBLOCK);
		pthread_t t;
		pthread_create(&t, NULL, tpm_thread, (void *)(intptr_t)sv[1]);
		pthread_detach(t);
		fd = sv[0];
	} else {
		init_real();
		fd = real_open("/dev/null", O_RDWR | O_CLOEXEC);
	}
	if (fd >= 0 && fd < MAX_FD) {
		fd_kind[fd] = k;
		free(fd_path[fd]);
		fd_path[fd] = strdup(path);
	}
	return fd;
}

static int intercept(const char *path, int flags, mode_t mode, int is64)
{
	enum kind k = kind_for(path);
	if (k) return double_open(path, k, flags);
	init_real();
	return is64 ? real_open64(path, flags, mode) : real_open(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return intercept(path, flags, mode, 0);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return intercept(path, flags, mode, 1);
}

/* ---- TEE ---- */
static struct shm *shm_by_id(int id)
{
	for (int i = 0; i < nshm; i++)
		if (shms[i].id == id) return &shms[i];
	return NULL;
}

static int tee_shm_alloc(struct tee_ioctl_shm_alloc_data *d)
{
	if (d->size == 0 || d->size > (1u << 24) || nshm >= MAX_SHM) {
		errno = d->size == 0 ? EINVAL : ENOMEM;
		return -1;
	}
	int mfd = memfd_create("tee-shm", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)d->size) < 0) return -1;
	uint8_t *map = mmap(NULL, d->size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (map == MAP_FAILED) return -1;
	struct shm *s = &shms[nshm++];
	s->id = next_shm_id++;
	s->size = d->size;
	s->map = map;
	d->id = s->id;
	d->flags = 0;
	struct buf line = { 0 };
	putf(&line, "TEE_SHM id=%d size=%llu", s->id, (unsigned long long)d->size);
	free(rpc(&line));
	return mfd;
}

static int is_memref(uint64_t attr)
{
	uint64_t t = attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK;
	return t >= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT && t <= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
}

/* appends " pI=attr,a,b,c mI=hex" for each parameter; -1 + EINVAL on a memref out of bounds */
static int put_params(struct buf *line, struct tee_ioctl_param *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		putf(line, " p%u=%llu,%llu,%llu,%llu", i, (unsigned long long)p[i].attr, (unsigned long long)p[i].a,
		     (unsigned long long)p[i].b, (unsigned long long)p[i].c);
		if (is_memref(p[i].attr)) {
			struct shm *s = shm_by_id((int)p[i].c);
			if (!s || p[i].a > s->size || p[i].b > s->size - p[i].a) {
				errno = EINVAL;
				return -1;
			}
			uint64_t t = p[i].attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK;
			if (t != TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT) {
				putf(line, " m%u=", i);
				puthex(line, s->map + p[i].a, p[i].b);
			}
		}
	}
	return 0;
}

/* writes back output values and memrefs from the reply */
static void get_params(const char *reply, struct tee_ioctl_param *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		char key[16];
		snprintf(key, sizeof(key), "p%u", i);
		const char *v = field(reply, key);
		unsigned long long attr, a, b, c;
		if (!v || sscanf(v, "%llu,%llu,%llu,%llu", &attr, &a, &b, &c) != 4) continue;
		uint64_t t = p[i].attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK;
		if (t == TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT || t == TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT) {
			p[i].a = a;
			p[i].b = b;
			p[i].c = c;
		} else if (t == TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT || t == TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT) {
			struct shm *s = shm_by_id((int)p[i].c);
			snprintf(key, sizeof(key), "m%u", i);
			if (s) hexfield(reply, key, s->map + p[i].a, p[i].b); /* never past the buffer given */
			p[i].b = b; /* the size the TA reports (may exceed the buffer: SHORT_BUFFER) */
		}
	}
}

static int tee_ioctl(int fd, unsigned long req, void *arg)
{
	struct buf line = { 0 };
	char *reply;
	if (req == TEE_IOC_VERSION) {
		struct tee_ioctl_version_data *v = arg;
		putf(&line, "TEE_VERSION path=%s", fd_path[fd] ? fd_path[fd] : "?");
		reply = rpc(&line);
		if (status_of(reply) < 0) return free(reply), -1;
		v->impl_id = (uint32_t)num(reply, "impl_id", 0);
		impl_id = v->impl_id;
		v->impl_caps = (uint32_t)num(reply, "impl_caps", 0);
		v->gen_caps = (uint32_t)num(reply, "gen_caps", 0);
		free(reply);
		return 0;
	}
	if (req == TEE_IOC_SHM_ALLOC) return tee_shm_alloc(arg);
	if (req == TEE_IOC_OPEN_SESSION || req == TEE_IOC_INVOKE) {
		struct tee_ioctl_buf_data *bd = arg;
		int open_s = req == TEE_IOC_OPEN_SESSION;
		size_t head = open_s ? sizeof(struct tee_ioctl_open_session_arg) : sizeof(struct tee_ioctl_invoke_arg);
		if (bd->buf_len > TEE_MAX_ARG_SIZE || bd->buf_len < head) {
			errno = EINVAL;
			return -1;
		}
		void *a = (void *)(uintptr_t)bd->buf_ptr;
		uint32_t nparams = open_s ? ((struct tee_ioctl_open_session_arg *)a)->num_params
					  : ((struct tee_ioctl_invoke_arg *)a)->num_params;
		if (head + (size_t)nparams * sizeof(struct tee_ioctl_param) != bd->buf_len) {
			errno = EINVAL;
			return -1;
		}
		struct tee_ioctl_param *params;
		if (open_s) {
			struct tee_ioctl_open_session_arg *o = a;
			putf(&line, "TEE_OPEN uuid=");
			puthex(&line, o->uuid, sizeof(o->uuid));
			putf(&line, " login=%u cancel=%u n=%u", o->clnt_login, o->cancel_id, o->num_params);
			params = o->params;
		} else {
			struct tee_ioctl_invoke_arg *iv = a;
			putf(&line, "TEE_INVOKE func=%u session=%u cancel=%u n=%u", iv->func, iv->session, iv->cancel_id, iv->num_params);
			params = iv->params;
		}
		if (put_params(&line, params, nparams) < 0) {
			free(line.p);
			return -1;
		}
		/* tstee (drivers/tee/tstee/core.c tstee_invoke_func): params[0].a = shm id, .b = request length */
		struct shm *ts_shm = NULL;
		if (!open_s && impl_id == 3 && nparams >= 1 && params[0].a != 0) {
			ts_shm = shm_by_id((int)params[0].a);
			if (!ts_shm || ts_shm->size < params[0].b) {
				free(line.p);
				errno = ts_shm ? EINVAL : ENOENT;
				return -1;
			}
			putf(&line, " s=");
			puthex(&line, ts_shm->map, params[0].b);
		}
		reply = rpc(&line);
		if (status_of(reply) < 0) return free(reply), -1;
		get_params(reply, params, nparams);
		if (ts_shm) hexfield(reply, "s", ts_shm->map, ts_shm->size);
		if (open_s) {
			struct tee_ioctl_open_session_arg *o = a;
			o->session = (uint32_t)num(reply, "session", 0);
			o->ret = (uint32_t)num(reply, "ret", 0);
			o->ret_origin = (uint32_t)num(reply, "origin", 0);
		} else {
			struct tee_ioctl_invoke_arg *iv = a;
			iv->ret = (uint32_t)num(reply, "ret", 0);
			iv->ret_origin = (uint32_t)num(reply, "origin", 0);
		}
		free(reply);
		return 0;
	}
	if (req == TEE_IOC_CLOSE_SESSION) {
		struct tee_ioctl_close_session_arg *c = arg;
		putf(&line, "TEE_CLOSE session=%u", c->session);
		reply = rpc(&line);
		int st = status_of(reply);
		free(reply);
		return st;
	}
	if (req == TEE_IOC_CANCEL) {
		struct tee_ioctl_cancel_arg *c = arg;
		putf(&line, "TEE_CANCEL cancel=%u session=%u", c->cancel_id, c->session);
		reply = rpc(&line);
		int st = status_of(reply);
		free(reply);
		return st;
	}
	putf(&line, "TEE_UNKNOWN_IOCTL req=%lu", req);
	free(rpc(&line));
	errno = EINVAL; /* tee_ioctl() in drivers/tee/tee_core.c: default -EINVAL */
	return -1;
}

/* ---- MMC ---- */
static int mmc_cmds(struct mmc_ioc_cmd *cmds, uint64_t n, const char *verb)
{
	struct buf line = { 0 };
	putf(&line, "%s n=%llu", verb, (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		struct mmc_ioc_cmd *c = &cmds[i];
		putf(&line, " c%llu=%d,%d,%u,%u,%u,%u,%u,%u,%u", (unsigned long long)i, c->write_flag, c->is_acmd, c->opcode,
		     c->arg, c->flags, c->blksz, c->blocks, c->postsleep_min_us, c->postsleep_max_us);
		if (c->write_flag & 1) {
			putf(&line, " d%llu=", (unsigned long long)i);
			puthex(&line, (uint8_t *)(uintptr_t)c->data_ptr, (size_t)c->blksz * c->blocks);
		}
	}
	char *reply = rpc(&line);
	if (status_of(reply) < 0) return free(reply), -1;
	for (uint64_t i = 0; i < n; i++) {
		struct mmc_ioc_cmd *c = &cmds[i];
		char key[32];
		if (!(c->write_flag & 1)) {
			snprintf(key, sizeof(key), "d%llu", (unsigned long long)i);
			hexfield(reply, key, (uint8_t *)(uintptr_t)c->data_ptr, (size_t)c->blksz * c->blocks);
		}
		snprintf(key, sizeof(key), "r%llu", (unsigned long long)i);
		const char *v = field(reply, key);
		if (v) sscanf(v, "%u,%u,%u,%u", &c->response[0], &c->response[1], &c->response[2], &c->response[3]);
	}
	free(reply);
	return 0;
}

static int mmc_ioctl(unsigned long req, void *arg)
{
	if (req == MMC_IOC_MULTI_CMD) {
		struct mmc_ioc_multi_cmd *m = arg;
		if (m->num_of_cmds == 0 || m->num_of_cmds > MMC_IOC_MAX_CMDS) {
			errno = EINVAL;
			return -1;
		}
		return mmc_cmds(m->cmds, m->num_of_cmds, "MMC_MULTI");
	}
	if (req == MMC_IOC_CMD) return mmc_cmds(arg, 1, "MMC_CMD");
	errno = ENOTTY;
	return -1;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd < MAX_FD) {
		if (fd_kind[fd] == K_TEE) return tee_ioctl(fd, req, arg);
		if (fd_kind[fd] == K_MMC) return mmc_ioctl(req, arg);
	}
	init_real();
	return real_ioctl(fd, req, arg);
}

int close(int fd)
{
	static int (*real_close)(int);
	if (!real_close) real_close = dlsym(RTLD_NEXT, "close");
	if (fd >= 0 && fd < MAX_FD && fd_kind[fd] != K_NONE) {
		struct buf line = { 0 };
		putf(&line, "CLOSE kind=%s", fd_kind[fd] == K_TEE ? "tee" : fd_kind[fd] == K_TPM ? "tpm" : "mmc");
		fd_kind[fd] = K_NONE;
		free(rpc(&line));
	}
	return real_close(fd);
}
