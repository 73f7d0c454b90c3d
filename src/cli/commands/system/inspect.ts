import type { Command } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';
import { inspectObjects, type ObjectType } from '../inspect-objects.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] NAME|ID [NAME|ID...]',
    description: 'Print the full JSON record of any Berth object',
    minArgs: 1,
    flags: [
      { name: 'format', short: 'f', kind: 'string', description: "Output format: 'json' or a Go template" },
      { name: 'size', short: 's', kind: 'bool', description: 'Add file sizes when the object is a container' },
      { name: 'type', kind: 'string', description: 'Only look for objects of this type (container, image, volume, network)' },
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
