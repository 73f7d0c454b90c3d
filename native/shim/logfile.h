/* The docker json-file log written by the monitor: one JSON object per line,
 * {"log":"...\n","stream":"stdout","time":"RFC3339Nano"}, rotated at max-size keeping max-file files
 * (path, path.1, ... path.<max-file - 1>). Partial lines are held until a newline or 16 KiB. */
#ifndef BERTH_LOGFILE_H
#define BERTH_LOGFILE_H
#include <stddef.h>
#include "error.h"

int log_open(const char *path, long max_size, int max_files, struct shim_error *err);
/* stream: 0 stdout, 1 stderr */
void log_write(int stream, const char *data, size_t len);
void log_flush(void);
#endif
