/* Re-executing the runtime from a sealed memfd copy of itself. */
#include "ctr/selfexe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

bool ctr_selfexe_is_sealed(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), seals;

	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	close(fd);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

int ctr_selfexe_ensure_sealed(char **argv, char **envp)
{
	struct stat st;
	off_t off = 0;
	int in, mfd, err;

	if (ctr_selfexe_is_sealed())
		return 0;
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return error_errno(-errno, "cannot open /proc/self/exe");
	if (fstat(in, &st) < 0) {
		err = error_errno(-errno, "cannot stat /proc/self/exe");
		close(in);
		return err;
	}
	mfd = memfd_create("gasang-oci", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)	/* kernels before 6.3 know no MFD_EXEC */
		mfd = memfd_create("gasang-oci", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0) {
		err = error_errno(-errno, "cannot create a memfd for the sealed binary");
		close(in);
		return err;
	}
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, in, &off, (size_t)(st.st_size - off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = error_errno(n < 0 ? -errno : -EIO, "cannot copy the runtime binary");
			close(in);
			close(mfd);
			return err;
		}
	}
	close(in);
	if (fchmod(mfd, 0555) < 0 || fcntl(mfd, F_ADD_SEALS, SEALS) < 0) {
		err = error_errno(-errno, "cannot seal the runtime binary copy");
		close(mfd);
		return err;
	}
	fexecve(mfd, argv, envp);
	err = error_errno(-errno, "cannot execute the sealed runtime binary");
	close(mfd);
	return err;
}
