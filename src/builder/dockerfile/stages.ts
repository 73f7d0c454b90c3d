import { lineError, parseDockerfile, type Directives } from './parser.ts';
import { toInstruction, type ArgInstruction, type FromInstruction, type Instruction } from './instructions.ts';

/** One build stage: its FROM and the instructions up to the next FROM. */
export interface Stage {
  index: number;
  /** The `AS name`, lower-cased. */
  name: string | undefined;
  from: FromInstruction;
  instructions: Instruction[];
}

export interface Dockerfile {
  directives: Directives;
  /** ARGs before the first FROM: usable in FROM lines, and in a stage after `ARG name`. */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  warnings: string[];
}

/** Parses a whole Dockerfile into stages, with every instruction checked and typed. */
export function parseStages(text: string): Dockerfile {
  const parsed = parseDockerfile(text);
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const names = new Set<string>();
  for (const raw of parsed.instructions) {
    const ins = toInstruction(raw, parsed.directives.escape);
    if (ins.kind === 'FROM') {
      if (ins.stageName !== undefined) {
        if (names.has(ins.stageName)) throw lineError(ins.line, `duplicate stage name "${ins.stageName}"`);
        names.add(ins.stageName);
      }
      stages.push({ index: stages.length, name: ins.stageName, from: ins, instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) {
      if (ins.kind === 'ARG') {
        metaArgs.push(ins);
        continue;
      }
      throw lineError(ins.line, `${ins.kind} before the first FROM: only ARG may come before FROM`);
    }
    stage.instructions.push(ins);
  }
  if (stages.length === 0) throw lineError(1, 'the Dockerfile has no FROM instruction');
  return { directives: parsed.directives, metaArgs, stages, warnings: parsed.warnings };
}

/** Finds a stage by name or index, as `--target` and `COPY --from` name them. */
export function findStage(df: Dockerfile, ref: string): Stage | undefined {
  const lower = ref.toLowerCase();
  const byName = df.stages.find((s) => s.name === lower);
  if (byName) return byName;
  if (/^\d+$/.test(ref)) return df.stages[Number(ref)];
  return undefined;
}
