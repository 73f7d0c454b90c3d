export { compileSeccomp, actionValue, SECCOMP_RET, SECCOMP_FILTER_FLAG } from './compile.ts';
export type { CompiledSeccomp, CompileSeccompOptions } from './compile.ts';
export { dockerDefaultSeccomp, CLONE_NAMESPACE_FLAGS } from './docker-default.ts';
export { BpfAssembler, BPF, BPF_MAXINSNS, SOCK_FILTER_SIZE } from './bpf.ts';
export type { Label } from './bpf.ts';
