/*
** thread.c: per-thread scheduling priority. Linux keeps a nice value per
** thread, and any thread may lower its own priority without privileges, so
** a process can rank its threads: ruralink keeps the store's writer (the
** one thread every write waits for) at the process's priority and lowers
** the threads that parse requests and run background jobs.
*/
#include "base/base.h"

#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

int thread_lower_priority(int by)
{
    if (by <= 0)
        return 0;
    id_t tid = (id_t)gettid();
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, tid);
    if (cur == -1 && errno)
        return ERR_IO;
    int want = cur + by > 19 ? 19 : cur + by;
    return setpriority(PRIO_PROCESS, tid, want) == 0 ? 0 : ERR_IO;
}
