/*
 * cmd_serve.c - `bangfu serve`: run the HTTP/JSON server until SIGTERM or
 * SIGINT, then stop gracefully (finish requests in flight, close the database).
 */
#include "cli/cli.h"
#include "http/http.h"
#include "http/server.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { OPT_DB = 1, OPT_CONFIG, OPT_LISTEN, OPT_WEB, OPT_THREADS, OPT_ACCESS_LOG, OPT_READY };

static const struct option serve_options[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"web", required_argument, NULL, OPT_WEB},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"access-log", required_argument, NULL, OPT_ACCESS_LOG},
    {"ready-file", required_argument, NULL, OPT_READY},
    {NULL, 0, NULL, 0},
};

/* Write the port to path via a temporary file, so a reader never sees half of it. */
static void write_ready_file(const char *path, int port)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = fopen(tmp, "w");
    if (!fp)
        return;
    fprintf(fp, "%d\n", port);
    if (fclose(fp) == 0)
        rename(tmp, path);
}

int cli_cmd_serve(int argc, char **argv)
{
    const char *db_option = NULL, *config_path = NULL, *ready_file = NULL;
    const char *overrides[8][2];
    int noverrides = 0;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", serve_options, NULL)) != -1) {
        const char *key = NULL;
        switch (opt) {
        case OPT_DB:
            db_option = optarg;
            break;
        case OPT_CONFIG:
            config_path = optarg;
            break;
        case OPT_READY:
            ready_file = optarg;
            break;
        case OPT_LISTEN:
            key = "listen";
            break;
        case OPT_WEB:
            key = "web_dir";
            break;
        case OPT_THREADS:
            key = "threads";
            break;
        case OPT_ACCESS_LOG:
            key = "access_log";
            break;
        default:
            return cli_usage_error("serve", "无法识别的参数");
        }
        if (key && noverrides < 8) {
            overrides[noverrides][0] = key;
            overrides[noverrides][1] = optarg;
            noverrides++;
        }
    }
    if (optind != argc)
        return cli_usage_error("serve", "多余的参数 %s", argv[optind]);

    bf_error err;
    bf_error_clear(&err);
    http_config cfg;
    http_config_defaults(&cfg);
    if (access("web/dist/index.html", R_OK) == 0)
        snprintf(cfg.web_dir, sizeof cfg.web_dir, "web/dist");
    if (config_path && http_config_load(config_path, &cfg, &err) != BF_OK)
        return cli_fail(&err);
    for (int i = 0; i < noverrides; i++)
        if (http_config_set(&cfg, overrides[i][0], overrides[i][1], &err) != BF_OK)
            return cli_usage_error("serve", "%s", err.msg);

    /* Block the stop signals in every thread; this one waits for them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    http_server *srv = NULL;
    const char *target = store_default_target(db_option);
    if (http_server_new(&cfg, target, &srv, &err) != BF_OK)
        return cli_fail(&err);
    if (http_server_listen(srv, &err) != BF_OK) {
        http_server_free(srv);
        return cli_fail(&err);
    }
    fprintf(stderr, "bangfu serve: 已在 %s 启动（端口 %d，%d 个工作线程，数据库 %s%s%s）\n",
            cfg.listen, http_server_port(srv), cfg.threads, target,
            cfg.web_dir[0] ? "，网页目录 " : "", cfg.web_dir);
    if (ready_file)
        write_ready_file(ready_file, http_server_port(srv));
    int sig = 0;
    sigwait(&stop_signals, &sig);
    fprintf(stderr, "bangfu serve: 收到信号 %d，正在停止（等待进行中的请求完成）\n", sig);
    http_server_free(srv);
    fprintf(stderr, "bangfu serve: 已停止\n");
    return 0;
}
