/*
 * maxrss.c - runs a command and reports what it cost.
 * usage: maxrss OUTFILE command [args...]; writes "<peak resident KiB>
 * <user CPU seconds> <system CPU seconds> <bytes written>" to OUTFILE and
 * exits with the command's status. Bytes written is the kernel's wchar:
 * everything the command wrote to files, pipes and sockets. Used by the memory test and the benchmark, so neither
 * needs /usr/bin/time.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static double maxrss_seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: maxrss OUTFILE command [args...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    /* Wait without reaping, so /proc still has the child's I/O counters. */
    siginfo_t si;
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) != 0)
        return 1;
    char path[64];
    long long wchar = -1;
    snprintf(path, sizeof path, "/proc/%ld/io", (long)pid);
    FILE *io = fopen(path, "r");
    if (io) {
        char key[32];
        long long v;
        while (fscanf(io, "%31[^:]: %lld\n", key, &v) == 2)
            if (strcmp(key, "wchar") == 0)
                wchar = v;
        fclose(io);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0)
        return 1;
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return 1;
    fprintf(f, "%ld %.3f %.3f %lld\n", ru.ru_maxrss, maxrss_seconds(ru.ru_utime),
            maxrss_seconds(ru.ru_stime), wchar);
    fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
