/*
 * etcdproc.c - starts and stops a real etcd for a test (etcdproc.h). Owns
 * the process and its directory; must never leave either behind.
 */
#include "etcdproc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "etcd.h"
#include "httpc.h"

const char *etcdproc_binary(void)
{
    const char *bin = getenv("ETCD") ? getenv("ETCD") : "/usr/bin/etcd";
    return access(bin, X_OK) == 0 ? bin : NULL;
}

int etcdproc_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int port = -1;
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

static bool etcdproc_healthy(const etcdproc *p)
{
    char url[128], err[256];
    snprintf(url, sizeof url, "%s/health", p->client_url);
    httpc_response r;
    bool ok = httpc_json("GET", url, NULL, 1000, &r, err, sizeof err) && r.status == 200 &&
              json_is_string(json_object_get(r.json, "health")) &&
              strcmp(json_string_value(json_object_get(r.json, "health")), "true") == 0;
    httpc_response_free(&r);
    return ok;
}

static bool etcdproc_try(etcdproc *p, const char *bin)
{
    int cp = etcdproc_free_port(), pp = etcdproc_free_port();
    if (cp < 0 || pp < 0 || cp == pp)
        return false;
    snprintf(p->client_url, sizeof p->client_url, "http://127.0.0.1:%d", cp);
    snprintf(p->peer_url, sizeof p->peer_url, "http://127.0.0.1:%d", pp);
    char data[128], log[128], cluster[128];
    snprintf(data, sizeof data, "%s/data", p->dir);
    snprintf(log, sizeof log, "%s/etcd.log", p->dir);
    snprintf(cluster, sizeof cluster, "t=%s", p->peer_url);
    p->pid = fork();
    if (p->pid == 0) {
        if (!freopen(log, "a", stderr) || !freopen("/dev/null", "w", stdout))
            _exit(126);
        execl(bin, bin, "--name", "t", "--data-dir", data, "--listen-client-urls", p->client_url,
              "--advertise-client-urls", p->client_url, "--listen-peer-urls", p->peer_url,
              "--initial-advertise-peer-urls", p->peer_url, "--initial-cluster", cluster,
              "--logger", "zap", "--log-level", "error", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && p->pid > 0; i++) {   /* 10 s */
        if (etcdproc_healthy(p))
            return true;
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            return false;
        }
        nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);   /* a readiness poll */
    }
    return false;
}

bool etcdproc_start(etcdproc *p)
{
    memset(p, 0, sizeof *p);
    const char *bin = etcdproc_binary();
    snprintf(p->dir, sizeof p->dir, "/tmp/minidfs-etcd-XXXXXX");
    if (!bin || !mkdtemp(p->dir)) {
        p->dir[0] = '\0';
        return false;
    }
    httpc_global_init();
    for (int t = 0; t < 2; t++) {
        if (etcdproc_try(p, bin))
            return true;
        if (p->pid > 0) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, NULL, 0);
        }
        p->pid = 0;
    }
    etcdproc_stop(p);
    return false;
}

void etcdproc_stop(etcdproc *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        waitpid(p->pid, NULL, 0);
    }
    p->pid = 0;
    if (p->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "etcdproc: could not remove %s\n", p->dir);
    }
    p->dir[0] = '\0';
}

etcdproc etcdproc_group;
etcd *etcdproc_client;

int etcdproc_group_setup(void **state)
{
    (void)state;
    if (!etcdproc_start(&etcdproc_group))
        return -1;
    char err[256];
    etcdproc_client = etcd_new(etcdproc_group.client_url, 10000, err, sizeof err);
    if (etcdproc_client)
        return 0;
    etcdproc_stop(&etcdproc_group);   /* cmocka tears down no group whose setup failed */
    return -1;
}

int etcdproc_group_teardown(void **state)
{
    (void)state;
    etcd_free(etcdproc_client);
    etcdproc_client = NULL;
    etcdproc_stop(&etcdproc_group);
    return 0;
}
