/*
 * knock.c - a test tool: sends the same small HTTP request to a loopback
 * port over and over, a new connection each time and as fast as it can,
 * until a stop file appears. It plays the peers that keep uploading to a
 * chunkserver while it restarts, so the very first moments a port is
 * open get requests too. Refused connections and errors are expected
 * and counted, never fatal.
 *
 * usage: knock PORT STOP_FILE METHOD PATH BODY
 * Prints, when stopped, how many requests got each status, one
 * "STATUS COUNT" per line ("000" for no answer).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One request; returns the answer's status, 0 when none came. */
static int knock_once(const struct sockaddr_in *to, const char *req, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int status = 0;
    if (connect(fd, (const struct sockaddr *)to, sizeof *to) == 0 &&
        send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char line[64];
        ssize_t n;
        if (poll(&p, 1, 5000) == 1 && (n = recv(fd, line, sizeof line - 1, 0)) > 12) {
            line[n] = '\0';
            if (!strncmp(line, "HTTP/1.", 7))
                status = atoi(line + 9);
        }
    }
    close(fd);
    return status;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: knock PORT STOP_FILE METHOD PATH BODY\n");
        return 2;
    }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char req[1024];
    int len = snprintf(req, sizeof req,
                       "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                       "Content-Length: %zu\r\n\r\n%s",
                       argv[3], argv[4], strlen(argv[5]), argv[5]);
    if (len < 0 || (size_t)len >= sizeof req) {
        fprintf(stderr, "knock: request too long\n");
        return 2;
    }
    static unsigned long counts[600];
    while (access(argv[2], F_OK) != 0) {
        int s = knock_once(&to, req, (size_t)len);
        counts[s >= 0 && s < 600 ? s : 0]++;
    }
    for (int s = 0; s < 600; s++)
        if (counts[s])
            printf("%03d %lu\n", s, counts[s]);
    return 0;
}
