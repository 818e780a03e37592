/*
 * smallsync.c - the disk's own rate for small durable files: the ceiling
 * a tree of small files put with durability on is compared with. THREADS
 * writers each make their share of COUNT files of SIZE bytes in DIR, the
 * way any durable store must: write to a temporary name (in DIR/.tmp, so
 * that making one does not wait on DIR's lock while DIR's fsync holds it),
 * fdatasync, rename into DIR, and have DIR fsynced before the file counts
 * (one fsync shared by the renames made meanwhile, the least it can cost).
 * Prints files per second. Writes only under DIR, which must exist and be
 * empty; leaves the files there for the caller to remove.
 * usage: smallsync DIR COUNT SIZE THREADS
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int smallsync_dirfd, smallsync_tmpfd;
static long smallsync_count, smallsync_size, smallsync_threads;

/* The directory's fsync, group-committed. */
static pthread_mutex_t smallsync_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t smallsync_done = PTHREAD_COND_INITIALIZER;
static uint64_t smallsync_asked, smallsync_synced;
static int smallsync_running, smallsync_failed;

static void smallsync_dir(void)
{
    pthread_mutex_lock(&smallsync_mu);
    uint64_t ticket = ++smallsync_asked;
    while (smallsync_synced < ticket) {
        if (smallsync_running) {
            pthread_cond_wait(&smallsync_done, &smallsync_mu);
            continue;
        }
        smallsync_running = 1;
        uint64_t upto = smallsync_asked;
        pthread_mutex_unlock(&smallsync_mu);
        int rc = fsync(smallsync_dirfd);
        pthread_mutex_lock(&smallsync_mu);
        smallsync_running = 0;
        smallsync_synced = upto;
        smallsync_failed |= rc != 0;
        pthread_cond_broadcast(&smallsync_done);
    }
    pthread_mutex_unlock(&smallsync_mu);
}

static void *smallsync_writer(void *arg)
{
    long t = (long)(intptr_t)arg;
    char *buf = malloc((size_t)smallsync_size);
    if (!buf)
        return (void *)1;
    memset(buf, 'x' + (int)(t % 3), (size_t)smallsync_size);
    for (long i = t; i < smallsync_count; i += smallsync_threads) {
        char tmp[64], name[64];
        snprintf(tmp, sizeof tmp, ".tmp-%ld", i);
        snprintf(name, sizeof name, "f%ld", i);
        int fd = openat(smallsync_tmpfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, buf, (size_t)smallsync_size) != smallsync_size ||
            fdatasync(fd) != 0 || close(fd) != 0 ||
            renameat(smallsync_tmpfd, tmp, smallsync_dirfd, name) != 0) {
            fprintf(stderr, "smallsync: %s: %s\n", name, strerror(errno));
            free(buf);
            return (void *)1;
        }
        smallsync_dir();
    }
    free(buf);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: smallsync DIR COUNT SIZE THREADS\n");
        return 2;
    }
    smallsync_count = atol(argv[2]);
    smallsync_size = atol(argv[3]);
    smallsync_threads = atol(argv[4]);
    if (smallsync_count < 1 || smallsync_size < 1 || smallsync_size > (1 << 24) ||
        smallsync_threads < 1 || smallsync_threads > 256) {
        fprintf(stderr, "smallsync: COUNT and SIZE (up to 16 MiB) must be positive, THREADS 1 to 256\n");
        return 2;
    }
    smallsync_dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (smallsync_dirfd < 0) {
        fprintf(stderr, "smallsync: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if ((mkdirat(smallsync_dirfd, ".tmp", 0755) != 0 && errno != EEXIST) ||
        (smallsync_tmpfd = openat(smallsync_dirfd, ".tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "smallsync: %s/.tmp: %s\n", argv[1], strerror(errno));
        return 1;
    }
    pthread_t th[256];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    long started = 0;
    for (long t = 0; t < smallsync_threads; t++)
        if (pthread_create(&th[started], NULL, smallsync_writer, (void *)(intptr_t)t) == 0)
            started++;
    int bad = started != smallsync_threads;
    for (long t = 0; t < started; t++) {
        void *rc;
        pthread_join(th[t], &rc);
        bad |= rc != NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (bad || smallsync_failed) {
        fprintf(stderr, "smallsync: a writer failed\n");
        return 1;
    }
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%.0f\n", (double)smallsync_count / s);
    return 0;
}
