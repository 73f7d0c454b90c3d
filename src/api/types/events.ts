/** `GET /events`: one JSON object per line. */
export interface EventMessage {
  Type: 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'service' | 'node' | 'secret' | 'config' | 'builder';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local' | 'swarm';
  time: number;
  timeNano: number;
  /** Deprecated fields still read by old clients (container events only). */
  status?: string;
  id?: string;
  from?: string;
}
