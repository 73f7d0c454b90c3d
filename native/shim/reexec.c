#include "reexec.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int ensure_sealed_self(char **argv, struct shim_error *err) {
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0) return fail(err, errno, "open /proc/self/exe");
  int seals = fcntl(self, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS) {
    close(self);
    return 0;
  }
  int mfd = memfd_create("berth-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL) mfd = memfd_create("berth-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) {
    close(self);
    return fail(err, errno, "memfd_create");
  }
  struct stat st;
  if (fstat(self, &st) < 0) {
    close(self);
    close(mfd);
    return fail(err, errno, "stat /proc/self/exe");
  }
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = sendfile(mfd, self, NULL, (size_t)left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      close(self);
      close(mfd);
      return fail(err, e, "copy shim into memfd");
    }
    left -= n;
  }
  close(self);
  if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0) {
    close(mfd);
    return fail(err, errno, "seal shim memfd");
  }
  fexecve(mfd, argv, environ);
  int e = errno;
  close(mfd);
  return fail(err, e, "re-execute shim from memfd");
}
