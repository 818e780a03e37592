/*
 * canned.c - a test tool: an HTTP server on a loopback port that answers
 * every request with the same status and body, whatever was asked. It
 * plays a hostile or broken peer (a master whose answers overflow, lie or
 * carry escapes) for the integration tests.
 *
 * usage: canned PORT_FILE STATUS BODY_FILE [PORT [REQUEST_LOG]]
 * Listens on PORT (default: any free one) and writes the bound port to
 * PORT_FILE once listening; appends "METHOD URL" to REQUEST_LOG for every
 * request it answers; runs until SIGTERM.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static FILE *canned_log;
static char *canned_body;
static size_t canned_len;
static unsigned canned_status;

static enum MHD_Result canned_answer(void *cls, struct MHD_Connection *c, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **con_cls)
{
    (void)cls, (void)version, (void)upload_data;
    if (!*con_cls) {
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (canned_log) {
        fprintf(canned_log, "%s %s\n", method, url);
        fflush(canned_log);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(canned_len, canned_body,
                                                             MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, canned_status, r);
    MHD_destroy_response(r);
    return ret;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: canned PORT_FILE STATUS BODY_FILE [PORT [REQUEST_LOG]]\n");
        return 2;
    }
    uint16_t port = argc > 4 ? (uint16_t)atoi(argv[4]) : 0;
    if (argc > 5 && !(canned_log = fopen(argv[5], "a"))) {
        perror(argv[5]);
        return 1;
    }
    canned_status = (unsigned)atoi(argv[2]);
    FILE *f = fopen(argv[3], "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0) {
        perror(argv[3]);
        return 1;
    }
    canned_len = (size_t)ftell(f);
    rewind(f);
    canned_body = malloc(canned_len + 1);
    if (!canned_body || fread(canned_body, 1, canned_len, f) != canned_len) {
        perror(argv[3]);
        return 1;
    }
    fclose(f);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                            canned_answer, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                                            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
                                            MHD_OPTION_END);
    const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info) {
        fprintf(stderr, "canned: cannot listen\n");
        return 1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    FILE *pf = fopen(tmp, "w");
    if (!pf || fprintf(pf, "%u\n", (unsigned)info->port) < 0 || fclose(pf) != 0 ||
        rename(tmp, argv[1]) != 0) {
        perror(argv[1]);
        return 1;
    }
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    free(canned_body);
    if (canned_log)
        fclose(canned_log);
    return 0;
}
