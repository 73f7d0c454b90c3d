/** The body of every Engine API error response. */
export interface ErrorResponse {
  message: string;
}

/** A progress line of a newline-delimited JSON stream (pull, push, load, import, build). */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number; units?: string; hidecounts?: boolean };
  stream?: string;
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  from?: string;
  time?: number;
  timeNano?: number;
}
