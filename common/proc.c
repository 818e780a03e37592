/*
 * proc.c - signal handling and the port file for the daemons. Must never
 * install asynchronous signal handlers: stop signals are taken
 * synchronously with sigwait in the main thread, where shutdown is safe.
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static sigset_t proc_stop_set(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

void proc_block_signals(void)
{
    sigset_t set = proc_stop_set();
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int proc_wait_signal(void)
{
    sigset_t set = proc_stop_set();
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    return sig;
}

bool proc_write_port_file(const char *path, uint16_t port, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "port file %s: %s", tmp, strerror(errno));
        return false;
    }
    char line[16];
    int n = snprintf(line, sizeof line, "%u\n", (unsigned)port);
    bool ok = write(fd, line, (size_t)n) == n;
    ok = (close(fd) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "port file %s: %s", path, strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}
