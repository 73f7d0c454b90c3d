import { randomInt } from 'node:crypto';
import { invalidArgument } from '../lib/index.ts';

/** Docker's container name rule; the leading slash is optional on input and stripped. */
const validName = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Validates a user-chosen name and returns it without the leading slash. */
export function normalizeName(name: string): string {
  if (!validName.test(name)) {
    throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name.slice(1) : name;
}

export function isValidName(name: string): boolean {
  return validName.test(name);
}

const adjectives = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'beautiful', 'blissful',
  'bold', 'boring', 'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent', 'confident', 'cool',
  'cranky', 'crazy', 'dazzling', 'determined', 'distracted', 'dreamy', 'eager', 'ecstatic', 'elastic',
  'elated', 'elegant', 'eloquent', 'epic', 'exciting', 'fervent', 'festive', 'flamboyant', 'focused',
  'friendly', 'frosty', 'funny', 'gallant', 'gifted', 'goofy', 'gracious', 'great', 'happy', 'hardcore',
  'heuristic', 'hopeful', 'hungry', 'infallible', 'inspiring', 'intelligent', 'interesting', 'jolly',
  'jovial', 'keen', 'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest', 'musing', 'mystifying',
  'naughty', 'nervous', 'nice', 'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic',
  'pensive', 'practical', 'priceless', 'quirky', 'quizzical', 'recursing', 'relaxed', 'reverent', 'romantic',
  'sad', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'stupefied', 'suspicious', 'sweet',
  'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant', 'vigilant', 'vigorous', 'wizardly',
  'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen',
];

// Scientists and engineers, as docker's generator uses.
const nouns = [
  'agnesi', 'albattani', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bartik', 'bell', 'bhabha',
  'black', 'blackburn', 'bohr', 'booth', 'borg', 'bose', 'brahmagupta', 'brown', 'burnell', 'cannon',
  'carson', 'cerf', 'chandrasekhar', 'chatterjee', 'clarke', 'cohen', 'curie', 'darwin', 'davinci', 'dijkstra',
  'dirac', 'driscoll', 'dubinsky', 'easley', 'edison', 'einstein', 'elbakyan', 'elgamal', 'elion', 'engelbart',
  'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'gagarin', 'galileo', 'gauss',
  'germain', 'goldberg', 'goldstine', 'goodall', 'hamilton', 'hawking', 'heisenberg', 'hermann', 'hertz',
  'hodgkin', 'hopper', 'hoover', 'hugle', 'hypatia', 'jackson', 'jang', 'jennings', 'jepsen', 'johnson',
  'joliot', 'kalam', 'kapitsa', 'keller', 'kepler', 'khayyam', 'khorana', 'kilby', 'knuth', 'kowalevski',
  'lalande', 'lamarr', 'lamport', 'leakey', 'leavitt', 'lederberg', 'lehmann', 'lewin', 'lichterman',
  'liskov', 'lovelace', 'lumiere', 'mahavira', 'margulis', 'mayer', 'mccarthy', 'mcclintock', 'meitner',
  'mendel', 'merkle', 'minsky', 'mirzakhani', 'morse', 'murdock', 'napier', 'nash', 'neumann', 'newton',
  'nobel', 'noether', 'northcutt', 'noyce', 'panini', 'pare', 'pascal', 'pasteur', 'payne', 'perlman',
  'pike', 'poincare', 'ptolemy', 'raman', 'ramanujan', 'ride', 'ritchie', 'roentgen', 'rosalind', 'saha',
  'sammet', 'shamir', 'shannon', 'shaw', 'shockley', 'sinoussi', 'snyder', 'spence', 'stonebraker',
  'sutherland', 'swanson', 'swartz', 'tesla', 'thompson', 'torvalds', 'turing', 'varahamihira', 'villani',
  'visvesvaraya', 'volhard', 'wescoff', 'wiles', 'williams', 'wilson', 'wing', 'wozniak', 'wright', 'wu',
  'yalow', 'yonath',
];

/**
 * A random adjective_noun name as docker makes them; `retry` > 0 appends a digit, as docker does
 * after a collision. ("boring_wozniak" is never produced, as in docker.)
 */
export function generateName(retry = 0): string {
  for (;;) {
    const name = `${adjectives[randomInt(adjectives.length)]}_${nouns[randomInt(nouns.length)]}`;
    if (name === 'boring_wozniak') continue;
    return retry > 0 ? `${name}${randomInt(10)}` : name;
  }
}
