/* cell: the binary that enters a container cannot be written through /proc/PID/exe (CVE-2019-5736 class).
 *
 * The container's init and every `cell exec` process are forks of the cell process; until they execve the
 * container's program their /proc/PID/exe is cell's own binary, and a `#!/proc/self/exe` script run as the
 * container's process re-executes that binary inside the container. A container process that opens
 * /proc/PID/exe (or keeps such an fd until cell exits, then reopens /proc/self/fd/N for writing) could
 * overwrite the host's binary.
 *
 * runc and crun re-execute themselves from a sealed memfd copy (runc 1.2: from a read-only overlayfs); an exec
 * costs ~0.5 ms here, an eighth of a whole `cell run`. cell instead swaps the executable of the forked process
 * in place, before it drops privileges:
 *   1. the parent clones a detached, read-only bind mount of the binary (open_tree(OPEN_TREE_CLONE) +
 *      mount_setattr(RDONLY)): it exists in no mount namespace and every reopen for writing fails with EROFS.
 *      Where mounts are refused (no CAP_SYS_ADMIN) a sealed memfd copy stands in for it;
 *   2. the child maps its code (the read-only segments) again from that file: the same inode, so the same page
 *      cache pages, nothing is copied; the writable segments (data, relro) are moved to anonymous memory;
 *   3. no mapping of the host's file is left, so PR_SET_MM_MAP may make the clone the process's exe_file.
 * /proc/PID/exe of the process, and whatever `#!/proc/self/exe` executes, is then the read-only clone. */
#include "exe-seal.h"
#include "base/cleanup.h"
#include "base/xalloc.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <link.h>
#include <linux/magic.h>
#include <linux/memfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* /proc/self/exe on a read-only mount, or a fully sealed memfd. */
static bool
exe_is_sealed (void)
{
  struct statfs sfs;
  if (statfs ("/proc/self/exe", &sfs) < 0)
    return false;
  if (sfs.f_flags & ST_RDONLY)
    return true;
  if (sfs.f_type != TMPFS_MAGIC && sfs.f_type != HUGETLBFS_MAGIC)
    return false;
  _cleanup_close_ int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int seals = fd < 0 ? -1 : fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & SEALS) == SEALS;
}

/* A read-only bind mount of the binary, attached nowhere (*tree), and the binary opened through it for
 * reading (PR_SET_MM_MAP and mmap want a real file, not O_PATH). */
static int
readonly_clone (int *tree)
{
  _cleanup_close_ int t = open_tree (AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
  if (t < 0 || mount_setattr (t, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return -1;
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%d", t);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    *tree = TAKE_FD (t);
  return fd;
}

static int
memfd_copy (cell_error_t *err)
{
  _cleanup_close_ int in = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (in < 0 || fstat (in, &st) < 0)
    return cell_error_errno (err, "open '/proc/self/exe'");
  /* MFD_EXEC: with vm.memfd_noexec the copy would otherwise not be executable; older kernels refuse it. */
  _cleanup_close_ int fd = memfd_create ("cell", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("cell", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return cell_error_errno (err, "memfd_create");
  for (off_t done = 0; done < st.st_size;)
    {
      ssize_t n = sendfile (fd, in, NULL, (size_t) (st.st_size - done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return cell_error_errno (err, "copy '/proc/self/exe' to a memfd");
      done += n;
    }
  if (fcntl (fd, F_ADD_SEALS, SEALS) < 0)
    return cell_error_errno (err, "seal the memfd copy of cell");
  return TAKE_FD (fd);
}

int
cell_exe_copy_open (struct cell_exe_copy *c, cell_error_t *err)
{
  *c = (struct cell_exe_copy){ .fd = -1, .tree = -1 };
  if (exe_is_sealed ())
    return 0;
  c->fd = readonly_clone (&c->tree);
  if (c->fd < 0)
    c->fd = memfd_copy (err);
  if (c->fd < 0)
    return -1;
  char path[PATH_MAX];
  ssize_t n = c->tree >= 0 ? readlink ("/proc/self/exe", path, sizeof path - 1) : -1;
  if (n > 0 && path[0] == '/')
    c->path = xstrndup (path, (size_t) n);
  return 0;
}

void
cell_exe_copy_close (struct cell_exe_copy *c)
{
  if (c->fd >= 0)
    close (c->fd);
  if (c->tree >= 0)
    close (c->tree);
  free (c->path);
  *c = (struct cell_exe_copy){ .fd = -1, .tree = -1 };
}

void
cell_exe_copy_drop (struct cell_exe_copy *c, bool attach)
{
  /* The last close of a detached mount unmounts it, and an unmount waits for an RCU grace period (~20 us on
   * an idle host, much more on a busy one). Attached in our own mount namespace instead (over the binary's
   * path in our copy of the host's tree, which pivot_root detaches with the rest of the old root), it costs
   * nothing more. */
  if (attach && c->tree >= 0 && c->path)
    (void) move_mount (c->tree, "", AT_FDCWD, c->path, MOVE_MOUNT_F_EMPTY_PATH);
  cell_exe_copy_close (c);
}

/* ---- in the child ---- */

/* The binary's loaded segments, from its program headers (AT_PHDR): exactly what the kernel mapped from the
 * file (binfmt_elf maps each PT_LOAD from page_down(p_offset), page_up(filesz) long; ld.so maps nothing more
 * of the main program). Reading /proc/self/maps instead would cost more than everything else here. */
struct segs
{
  const ElfW (Phdr) *ph;
  size_t n;
  uintptr_t bias, page;
};

static void
segs_init (struct segs *s)
{
  s->ph = (const ElfW (Phdr) *) getauxval (AT_PHDR);
  s->n = getauxval (AT_PHNUM);
  s->page = (uintptr_t) sysconf (_SC_PAGESIZE);
  s->bias = 0;
  for (size_t i = 0; s->ph && i < s->n; i++)
    if (s->ph[i].p_type == PT_PHDR)
      s->bias = (uintptr_t) s->ph - s->ph[i].p_vaddr;
}

static int
seg_prot (const ElfW (Phdr) *p)
{
  return (p->p_flags & PF_R ? PROT_READ : 0) | (p->p_flags & PF_W ? PROT_WRITE : 0)
         | (p->p_flags & PF_X ? PROT_EXEC : 0);
}

/* A writable segment: its file-backed pages may differ from the file (data, and the relro part that ld.so
 * wrote and then made read-only): copy them to anonymous memory at the same address. */
static int
seg_to_anon (const struct segs *s, uintptr_t start, uintptr_t end, cell_error_t *err)
{
  size_t len = end - start;
  void *p = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return cell_error_errno (err, "mmap");
  /* The relro pages are read-only but readable; nothing writes to them or to the data while we copy. */
  memcpy (p, (const void *) start, len);
  if (mremap (p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *) start) == MAP_FAILED)
    return cell_error_errno (err, "remap cell's data");
  for (size_t i = 0; i < s->n; i++)
    if (s->ph[i].p_type == PT_GNU_RELRO)
      {
        /* As ld.so's _dl_protect_relro(): the pages wholly inside the relro range. */
        uintptr_t rs = (s->bias + s->ph[i].p_vaddr) & ~(s->page - 1);
        uintptr_t re = (s->bias + s->ph[i].p_vaddr + s->ph[i].p_memsz) & ~(s->page - 1);
        if (rs >= start && re <= end && re > rs && mprotect ((void *) rs, re - rs, PROT_READ) < 0)
          return cell_error_errno (err, "mprotect relro");
      }
  return 0;
}

int
cell_exe_remap (int fd, cell_error_t *err)
{
  struct segs s;
  segs_init (&s);
  if (s.ph == NULL)
    return cell_error (err, ENOEXEC, "no program headers");
  for (size_t i = 0; i < s.n; i++)
    {
      const ElfW (Phdr) *p = &s.ph[i];
      if (p->p_type != PT_LOAD || p->p_filesz == 0)
        continue;
      uintptr_t start = (s.bias + p->p_vaddr) & ~(s.page - 1);
      uintptr_t end = (s.bias + p->p_vaddr + p->p_filesz + s.page - 1) & ~(s.page - 1);
      off_t off = (off_t) (p->p_offset & ~(s.page - 1));
      if (p->p_flags & PF_W)
        {
          if (seg_to_anon (&s, start, end, err) < 0)
            return -1;
        }
      /* Code and read-only data: the same bytes from the clone (the same page cache pages), so the code that
       * runs this loop never notices. */
      else if (mmap ((void *) start, end - start, seg_prot (p), MAP_PRIVATE | MAP_FIXED, fd, off) == MAP_FAILED)
        return cell_error_errno (err, "map cell's code from its read-only copy");
    }
  return 0;
}

/* /proc/self/stat fields 26-28 and 45-51 (man 5 proc): what PR_SET_MM_MAP must be given back unchanged. */
static int
mm_map_current (struct prctl_mm_map *m, cell_error_t *err)
{
  /* One read into the stack, no stdio: this runs in every container's init. */
  char text[1024];
  _cleanup_close_ int fd = open ("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, text, sizeof text - 1);
  if (n <= 0)
    return cell_error_errno (err, "read '/proc/self/stat'");
  text[n] = '\0';
  char *p = strrchr (text, ')');
  unsigned long long v[52] = { 0 };
  /* p + 2 is field 3 (state, a letter): count it, parse the numbers after it. */
  p = p ? strchr (p + 2, ' ') : NULL;
  for (int i = 4; p && i <= 51; i++)
    {
      char *end;
      v[i] = strtoull (p + 1, &end, 10);
      p = *end == ' ' ? end : NULL;
    }
  if (v[51] == 0)
    return cell_error (err, EINVAL, "parse '/proc/self/stat'");
  *m = (struct prctl_mm_map){
    .start_code = v[26], .end_code = v[27], .start_stack = v[28], .start_data = v[45], .end_data = v[46],
    .start_brk = v[47], .brk = (uint64_t) syscall (SYS_brk, 0), .arg_start = v[48], .arg_end = v[49],
    .env_start = v[50], .env_end = v[51], .exe_fd = (uint32_t) -1,
  };
  return 0;
}

int
cell_exe_set (int fd, cell_error_t *err)
{
  struct prctl_mm_map m;
  if (mm_map_current (&m, err) < 0)
    return -1;
  m.exe_fd = (uint32_t) fd;
  if (prctl (PR_SET_MM, PR_SET_MM_MAP, (unsigned long) &m, sizeof m, 0) < 0)
    return cell_error_errno (err, "make the read-only copy of cell the process's executable");
  return 0;
}
