/*
 * idle.c - a test tool: a slowloris. Opens N TCP connections to a
 * loopback port from a given source address, sends each the first line of
 * a request and nothing more, and holds them open until a stop file
 * appears. Prints how many connections it got, then closes them all.
 *
 * usage: idle PORT N SOURCE_ADDR STOP_FILE
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: idle PORT N SOURCE_ADDR STOP_FILE\n");
        return 2;
    }
    int port = atoi(argv[1]), n = atoi(argv[2]);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int *fds = calloc((size_t)n, sizeof *fds);
    int got = 0;
    for (int i = 0; fds && i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
        inet_pton(AF_INET, argv[3], &src.sin_addr);
        inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
        dst.sin_port = htons((uint16_t)port);
        if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
            connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        const char *line = "GET /files HTTP/1.1\r\n";
        if (write(fd, line, strlen(line)) < 0) {
            close(fd);
            continue;
        }
        fds[got++] = fd;
    }
    printf("%d\n", got);
    fflush(stdout);
    while (access(argv[4], F_OK) != 0)
        usleep(20000);
    for (int i = 0; i < got; i++)
        close(fds[i]);
    free(fds);
    return 0;
}
