/*
 * fuzz_config.c - libFuzzer target for the `bangfu serve --config` file parser
 * (http/config.c): arbitrary bytes as the file. Nothing may crash, overflow or
 * read out of bounds; a file that loads leaves every setting inside its range,
 * and a refused file always says why.
 */
#include "http/http.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/bangfu-fuzz-config-%ld", (long)getpid());
    }
    FILE *fp = fopen(path, "wb");
    if (!fp)
        abort();
    if (size && fwrite(data, 1, size, fp) != size)
        abort();
    fclose(fp);

    http_config cfg;
    http_config_defaults(&cfg);
    bf_error err = {0};
    bf_status rc = http_config_load(path, &cfg, &err);
    if (rc == BF_OK) {
        if (cfg.threads < 1 || cfg.threads > 256 || cfg.max_connections < 1 ||
            cfg.request_timeout < 1 || cfg.max_body < 1024 || cfg.max_upload < 1024 ||
            memchr(cfg.listen, '\0', sizeof cfg.listen) == NULL)
            abort();
    } else if (err.msg[0] == '\0') {
        abort();
    }
    unlink(path);
    return 0;
}
