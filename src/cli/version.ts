/** The CLI's own version, printed by `berth --version` and `berth version`. */
export const berthVersion = '0.1.0';
export const berthGitCommit = 'unknown';
