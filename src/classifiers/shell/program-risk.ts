import { posix } from 'node:path';
import { type RiskLevel, maxRisk } from '../../model/risk-level.js';
import { parseOptions } from './option-set.js';
import { type Cwds, judgePath } from './path-resolution.js';
import type { StaticWord } from './static-word.js';

/** What one program invocation does, before nested commands are looked at. */
export interface ProgramAssessment {
  risk: RiskLevel;
  flags: string[];
  objects: string[];
  /** Shell text the program will run (`bash -c '...'`, `su -c '...'`). */
  nestedScript?: string;
  /** A command the program will run from its arguments (`find -exec`, `kubectl exec --`). */
  nestedArgv?: readonly StaticWord[];
  /** SQL the program will send (`psql -c`). */
  sql?: string;
}

const READERS = new Set([
  'ls', 'cat', 'head', 'tail', 'grep', 'egrep', 'fgrep', 'rg', 'echo', 'printf', 'pwd', 'whoami', 'id', 'date', 'uptime', 'df', 'du',
  'ps', 'top', 'htop', 'free', 'uname', 'hostname', 'printenv', 'which', 'type', 'stat', 'file', 'wc', 'sort', 'uniq', 'cut', 'tr',
  'jq', 'diff', 'tree', 'journalctl', 'dmesg', 'netstat', 'ss', 'ping', 'dig', 'nslookup', 'host', 'true', 'false', 'test', '[',
  'cd', 'pushd', 'popd', 'dirs', 'history', 'clear', 'basename', 'dirname', 'realpath', 'readlink', 'md5sum', 'sha256sum', 'base64',
  'lsof', 'lsblk', 'blkid', 'mount', 'findmnt', 'ip', 'ifconfig', 'nproc', 'lscpu', 'vmstat', 'iostat', 'seq', 'sleep', 'tac', 'nl',
  'column', 'curl', 'wget', 'tee', 'getent', 'groups', 'locale', 'cal', 'xxd', 'od', 'strings', 'zcat', 'zgrep', 'sed', 'yes', 'env',
]);

/** Programs that start an interpreter or have a shell escape: Airlock cannot see what runs inside. */
const INTERPRETERS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'fish', 'csh', 'tcsh', 'busybox', 'python', 'python2', 'python3', 'perl', 'ruby', 'node', 'nodejs', 'deno', 'php', 'lua', 'awk', 'gawk', 'mawk', 'tclsh', 'expect', 'irb', 'R', 'Rscript', 'osascript', 'pwsh']);
export const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'fish', 'csh', 'tcsh']);
const ESCAPES = new Set(['vi', 'vim', 'nvim', 'view', 'less', 'more', 'man', 'emacs', 'nano', 'ed', 'ftp', 'gdb', 'tmux', 'screen', 'mysql', 'psql', 'redis-cli', 'sqlite3', 'git', 'journalctl']);

function base(risk: RiskLevel, ...flags: string[]): ProgramAssessment {
  return { risk, flags, objects: [] };
}

type Assessor = (args: readonly StaticWord[], cwds: Cwds) => ProgramAssessment;

/**
 * A delete or permission change on these operands: critical on `/` or system
 * paths, else as given. A path through `..` may be any of them (symbolic links).
 */
function sensitive(operands: readonly string[], cwds: Cwds): boolean {
  return operands.some((p) => {
    const j = judgePath(p, cwds);
    return j.root || j.risk !== null || j.traversal;
  });
}

const rm: Assessor = (args, cwds) => {
  const o = parseOptions(args, { recursive: 'r', force: 'f', 'no-preserve-root': 'R' });
  const recursive = o.has('r') || o.has('R');
  const a = base(recursive ? 'high' : 'medium', recursive ? 'recursive_delete' : 'delete');
  if (o.has('f')) a.flags.push('force');
  a.objects.push(...o.operands);
  if (o.unknown > 0) a.risk = 'high';
  const rootGlob = args.some((w) => w.value === null && /^\/+\*$/.test(w.raw));
  if ((sensitive(o.operands, cwds) || rootGlob) && recursive) a.risk = 'critical';
  return a;
};

const chmodLike: Assessor = (args, cwds) => {
  const o = parseOptions(args, { recursive: 'R' });
  const a = base('medium', 'permission_change');
  a.objects.push(...o.operands.slice(1));
  if (o.has('R')) {
    a.flags.push('recursive');
    a.risk = sensitive(o.operands.slice(1), cwds) ? 'critical' : 'high';
  } else if (sensitive(o.operands.slice(1), cwds)) a.risk = 'high';
  return a;
};

const kill: Assessor = (args) => {
  const all = args.map((w) => w.value ?? '');
  let signal = 'TERM';
  let i = 0;
  // The first option names the signal (`-9`, `-KILL`, `-s KILL`, `-n 9`); everything after is a process id, `-1` included.
  if (all[0] === '-s' || all[0] === '-n') {
    signal = all[1] ?? '';
    i = 2;
  } else if (all[0]?.startsWith('-') && all[0] !== '--' && all.length > 1) {
    signal = all[0].slice(1);
    i = 1;
  }
  if (all[i] === '--') i++;
  const pids = all.slice(i);
  const nine = /^(9|KILL|SIGKILL)$/i.test(signal);
  const a = base(nine ? 'high' : 'medium', 'signal');
  a.objects.push(...pids);
  if (pids.some((p) => p === '1' || p === '-1')) a.risk = 'critical';
  return a;
};

const dd: Assessor = (args, cwds) => {
  const a = base('high', 'raw_write');
  for (const w of args) {
    const v = w.value ?? '';
    if (v.startsWith('of=')) {
      a.objects.push(v.slice(3));
      if (judgePath(v.slice(3), cwds).risk !== null || v.slice(3).startsWith('/dev/')) a.risk = 'critical';
    }
  }
  return a;
};

const VALUED_GLOBAL = new Set(['-n', '--namespace', '--context', '--cluster', '--user', '--kubeconfig', '-l', '--selector', '-o', '--output', '-f', '--filename', '-c', '--container', '--chdir', '-var', '-var-file']);

/** The non-option words, skipping the values of the common options that take one. */
function subcommand(args: readonly StaticWord[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const v = args[i]?.value ?? '';
    if (v.startsWith('-')) {
      if (VALUED_GLOBAL.has(v)) i++;
      continue;
    }
    out.push(v);
  }
  return out;
}

const kubectl: Assessor = (args) => {
  const words = args.map((w) => w.value ?? '');
  const [verb, what] = subcommand(args);
  if (verb === 'exec') {
    const dash = words.indexOf('--');
    const a = base('medium', 'remote_exec');
    if (dash >= 0) a.nestedArgv = args.slice(dash + 1);
    else a.risk = 'high';
    return a;
  }
  if (verb === 'delete' || verb === 'drain' || verb === 'cordon' || verb === 'replace' || verb === 'patch') return { ...base('high', `kubectl_${verb}`), objects: what ? [what] : [] };
  if (verb === 'scale' && words.some((v) => /^--replicas=0+$/.test(v) || v === '0')) return base('high', 'scale_to_zero');
  if (verb === 'get' || verb === 'describe' || verb === 'logs' || verb === 'top' || verb === 'explain' || verb === 'version' || verb === 'config') return base('low');
  return base('medium', 'kubectl_write');
};

function sqlClient(flag: string, longFlag: string): Assessor {
  return (args) => {
    const words = args.map((w) => w.value);
    for (let i = 0; i < words.length; i++) {
      const v = words[i];
      if (v === flag || v === `--${longFlag}`) {
        const sql = words[i + 1];
        return sql === null || sql === undefined ? base('high', 'dynamic_sql') : { ...base('low', 'sql_command'), sql };
      }
      if (v?.startsWith(`--${longFlag}=`)) return { ...base('low', 'sql_command'), sql: v.slice(longFlag.length + 3) };
      if (v?.startsWith(flag) && v.length > flag.length && !v.startsWith('--')) return { ...base('low', 'sql_command'), sql: v.slice(flag.length) };
      if (v === '-f' || v === '--file') return base('high', 'sql_file');
    }
    return base('medium', 'interpreter');
  };
}

function interpreter(name: string): Assessor {
  return (args) => {
    const words = args.map((w) => w.value);
    const c = words.findIndex((v) => v === '-c' || (v !== null && SHELLS.has(name) && /^-[a-z]*c[a-z]*$/.test(v)));
    if (SHELLS.has(name) && c >= 0) {
      const script = words[c + 1];
      if (script === null || script === undefined) return base('high', 'dynamic_script');
      return { ...base('low', 'nested_shell'), nestedScript: script };
    }
    const a = base('medium', 'interpreter');
    if (words.some((v) => v === null)) a.risk = 'high';
    if (words.some((v) => v === '-e' || v === '-c' || v === '-E' || v === '-r')) a.flags.push('inline_code');
    return a;
  };
}

const find: Assessor = (args, cwds) => {
  const words = args.map((w) => w.value ?? '');
  const a = base('low');
  if (words.includes('-delete')) {
    a.flags.push('recursive_delete');
    a.risk = sensitive(words.filter((v) => !v.startsWith('-')).slice(0, 1), cwds) ? 'critical' : 'high';
  }
  const ex = words.findIndex((v) => v === '-exec' || v === '-execdir' || v === '-ok' || v === '-okdir');
  if (ex >= 0) {
    const end = words.findIndex((v, i) => i > ex && (v === ';' || v === '+'));
    a.nestedArgv = args.slice(ex + 1, end < 0 ? undefined : end);
    a.flags.push('find_exec');
  }
  if (words.some((v) => v === '-fprint' || v === '-fprintf' || v === '-fls')) a.risk = 'medium';
  return a;
};

const su: Assessor = (args) => {
  const words = args.map((w) => w.value);
  const c = words.findIndex((v) => v === '-c' || v === '--command');
  if (c >= 0) {
    const script = words[c + 1];
    return script ? { ...base('low', 'switch_user'), nestedScript: script } : base('high', 'dynamic_script');
  }
  return base('high', 'switch_user', 'interpreter');
};

/** A program that writes its file operands: high when one of them is a system path. */
function fileWriter(risk: RiskLevel, flag: string): Assessor {
  return (args, cwds) => {
    const operands = parseOptions(args).operands;
    const a = { ...base(sensitive(operands, cwds) ? 'high' : risk, flag), objects: [...operands] };
    if (operands.some((p) => !p.startsWith('/') && cwds.includes(null)) && a.risk === 'low') a.risk = 'medium';
    return a;
  };
}

/**
 * `ln`: as any file writer, and for a symbolic link the relative target is
 * judged from where the kernel resolves it, the link's own directory (or the
 * directory named last), not the cwd: `cd /tmp; ln -s etc /e` links /e to /etc.
 */
const ln: Assessor = (args, cwds) => {
  const a = fileWriter('medium', 'link')(args, cwds);
  const o = parseOptions(args, { symbolic: 's', 'target-directory': 't' });
  if (!o.has('s')) return a;
  const places = o.operands.flatMap((p) => {
    const j = judgePath(p, cwds);
    return [...j.resolved.flatMap((r) => [r, posix.dirname(r)]), ...(j.unknown ? [null] : [])];
  });
  for (const target of o.operands.slice(0, -1)) {
    if (target.startsWith('/')) continue;
    const j = judgePath(target, places);
    if (j.root || j.risk !== null || j.traversal || j.unknown) return { ...a, risk: maxRisk(a.risk, 'high') };
  }
  return a;
};

/** The words after the first operand, skipping options that take a value. */
function afterFirstOperand(args: readonly StaticWord[], valued: ReadonlySet<string>): readonly StaticWord[] | null {
  for (let i = 0; i < args.length; i++) {
    const v = args[i]?.value;
    if (v === null || v === undefined) return null;
    if (v === '--') return args.slice(i + 2);
    if (v.startsWith('-')) {
      if (valued.has(v)) i++;
      continue;
    }
    return args.slice(i + 1);
  }
  return [];
}

const SSH_VALUED = new Set(['-b', '-B', '-c', '-D', '-E', '-e', '-F', '-I', '-i', '-J', '-L', '-l', '-m', '-O', '-o', '-p', '-Q', '-R', '-S', '-W', '-w']);

/** `ssh host 'cmd'`: the remote shell runs the remaining words joined by spaces. */
const ssh: Assessor = (args) => {
  const rest = afterFirstOperand(args, SSH_VALUED);
  if (rest === null || rest.some((w) => w.value === null)) return base('high', 'remote_exec', 'dynamic_script');
  if (rest.length === 0) return base('medium', 'remote_shell');
  return { ...base('low', 'remote_exec'), nestedScript: rest.map((w) => w.value).join(' ') };
};

const DOCKER_VALUED = new Set(['-e', '--env', '-u', '--user', '-w', '--workdir', '--env-file', '--detach-keys']);

const docker: Assessor = (args) => {
  const verb = subcommand(args)[0] ?? '';
  if (verb === 'exec') {
    const rest = afterFirstOperand(args.slice(args.findIndex((w) => w.value === 'exec') + 1), DOCKER_VALUED);
    if (rest === null) return base('high', 'remote_exec', 'dynamic_script');
    return { ...base('low', 'remote_exec'), nestedArgv: rest };
  }
  if (['ps', 'logs', 'images', 'inspect', 'stats', 'top', 'version', 'info'].includes(verb)) return base('low');
  if (['rm', 'rmi', 'kill', 'stop', 'system', 'volume', 'network', 'prune'].includes(verb)) return base('high', 'docker_write');
  return base('medium', 'docker_write');
};

const CRITICAL = new Set(['mkfs', 'wipefs', 'shutdown', 'reboot', 'halt', 'poweroff']);
const HIGH = new Set(['mount', 'mknod', 'setcap', 'chattr', 'pivot_root', 'shred', 'fdisk', 'sfdisk', 'parted', 'gdisk', 'killall', 'userdel', 'groupdel', 'iptables', 'nft', 'ufw', 'truncate', 'losetup', 'swapoff', 'umount', 'insmod', 'rmmod', 'modprobe', 'sysctl', 'visudo', 'passwd', 'chpasswd', 'usermod']);

const PROGRAMS: Readonly<Record<string, Assessor>> = {
  rm,
  rmdir: () => base('medium', 'delete'),
  unlink: () => base('medium', 'delete'),
  chmod: chmodLike,
  chown: chmodLike,
  chgrp: chmodLike,
  kill,
  dd,
  kubectl,
  find,
  su,
  ssh,
  docker,
  psql: sqlClient('-c', 'command'),
  mysql: sqlClient('-e', 'execute'),
  helm: (args) => (['uninstall', 'delete', 'rollback'].includes(subcommand(args)[0] ?? '') ? base('high', 'helm_uninstall') : base('medium')),
  terraform: (args) => {
    const verb = subcommand(args)[0] ?? '';
    if (verb === 'destroy' || args.some((w) => w.value === '-destroy')) return base('critical', 'terraform_destroy');
    if (verb === 'apply' || verb === 'import' || verb === 'state' || verb === 'taint') return base('high', 'terraform_write');
    return base(verb === 'plan' || verb === 'show' || verb === 'validate' || verb === 'output' ? 'low' : 'medium');
  },
  init: (args) => (['0', '6'].includes(args[0]?.value ?? '') ? base('critical', 'shutdown') : base('medium')),
  systemctl: (args) => {
    const verb = subcommand(args)[0] ?? '';
    if (['poweroff', 'reboot', 'halt', 'kexec', 'rescue', 'emergency'].includes(verb)) return base('critical', 'shutdown');
    if (['status', 'show', 'list-units', 'list-unit-files', 'cat', 'is-active', 'is-enabled', 'is-failed'].includes(verb)) return base('low');
    return base('medium', 'service_change');
  },
  crontab: (args) => (args.some((w) => w.value === '-r') ? base('high', 'delete') : base('medium')),
  eval: () => base('high', 'eval'),
  source: () => base('high', 'source'),
  '.': () => base('high', 'source'),
  alias: (args) => (args.length === 0 ? base('low') : base('high', 'alias')),
  unalias: () => base('high', 'shell_state'),
  enable: () => base('high', 'shell_state'),
  bind: (args) => (args.length === 0 || args.every((w) => w.value === '-p' || w.value === '-P' || w.value === '-l') ? base('low') : base('high', 'shell_state')),
  hash: (args) => (args.length === 0 ? base('low') : base('high', 'shell_state')),
  trap: (args) => (args.length === 0 ? base('low') : base('high', 'trap')),
  set: (args) => (args.length === 0 ? base('low') : base('high', 'shell_state')),
  shopt: (args) => (args.every((w) => w.value === '-p' || w.value === '-q') ? base('low') : base('high', 'shell_state')),
  export: () => base('low', 'shell_state'),
  declare: () => base('low', 'shell_state'),
  typeset: () => base('low', 'shell_state'),
  local: () => base('low'),
  readonly: () => base('low'),
  fc: () => base('high', 'history_exec'),
  mv: fileWriter('medium', 'move'),
  cp: fileWriter('medium', 'copy'),
  ln,
  mkdir: () => base('low'),
  touch: () => base('low'),
};

export function assessProgram(name: string, args: readonly StaticWord[], cwds: Cwds): ProgramAssessment {
  const assess = PROGRAMS[name];
  if (assess) return assess(args, cwds);
  if (name.startsWith('mkfs')) return base('critical', 'mkfs');
  if (CRITICAL.has(name)) return base('critical', name === 'mkfs' ? 'mkfs' : 'shutdown');
  if (HIGH.has(name)) return base('high', 'system_change');
  if (INTERPRETERS.has(name) || /^python3?\.\d+$/.test(name)) return interpreter(name)(args, cwds);
  if (ESCAPES.has(name)) return base('medium', 'shell_escape');
  if (name === 'sed') return base(args.some((w) => /^-[a-zA-Z]*i/.test(w.value ?? '') || (w.value ?? '').startsWith('--in-place')) ? 'medium' : 'low');
  if (name === 'tee') return fileWriter('low', 'writes_file')(args, cwds);
  if (READERS.has(name)) return base('low');
  return base('medium', 'unknown_program');
}

export function isInterpreter(name: string): boolean {
  return INTERPRETERS.has(name) || /^python3?\.\d+$/.test(name) || name === 'psql' || name === 'mysql';
}
