import type { Command } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';
import { inspectObjects, type ObjectType } from '../inspect-objects.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] NAME|ID [NAME|ID...]',
    description: 'Return low-level information on Docker objects',
    minArgs: 1,
    flags: [
      { name: 'format', short: 'f', kind: 'string', description: "Format output using a custom template: 'json' or a Go template" },
      { name: 'size', short: 's', kind: 'bool', description: 'Display total file sizes if the type is container' },
      { name: 'type', kind: 'string', description: 'Return JSON for specified type' },
    ],
  },
  async run(ctx, args, flags) {
    const type = flags.string('type');
    let types: ObjectType[] = ['container', 'image', 'volume', 'network'];
    if (type) {
      if (!['container', 'image', 'volume', 'network'].includes(type)) throw new UsageError(`"${type}" is not a valid value for --type`);
      types = [type as ObjectType];
    }
    return inspectObjects(ctx, args, { types, format: flags.string('format'), size: flags.bool('size') });
  },
};
