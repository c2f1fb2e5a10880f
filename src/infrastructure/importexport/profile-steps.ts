import * as profile from '../../domain/profile';
import type { ProfileSettings, ToolSetting } from '../../domain/profile/events';
import { loadState, type EventLog } from '../eventstore';
import type { DecidedAppend } from '../commands/handle-command';
import type { ProfileEntry, ToolEntry } from './document';
import type { ImportPlan, ProfileStep } from './plan';

/** Decides commands one after the other on one profile, each on the state the previous left. */
class ProfileFold {
  readonly events: profile.ProfileEvent[] = [];

  constructor(public state: profile.ProfileState) {}

  run(command: profile.ProfileCommand): void {
    const events = profile.profileDecider.decide(command, this.state);
    this.events.push(...events);
    this.state = events.reduce(profile.profileDecider.evolve, this.state);
  }

  get tools(): readonly ToolSetting[] {
    return this.state.status === 'active' ? this.state.tools : [];
  }
}

const settingsOf = (entry: ProfileEntry): ProfileSettings => ({
  slug: entry.slug,
  name: entry.name,
  description: entry.description,
  toolPrefix: entry.toolPrefix,
  toolExposure: entry.toolExposure,
  adaptiveToolLimit: entry.adaptiveToolLimit,
  auth: { ...entry.auth },
  debugLogging: entry.debugLogging,
});

type ToolTarget = Readonly<{ serverId: string; toolName: string; patch: profile.ToolPatch }>;

const DEFAULT_TOOL: profile.ToolPatch = { status: 'active', name: null, title: null, description: null, annotations: null };

const toolKey = (serverId: string, toolName: string): string => `${serverId}/${toolName}`;

/** Every tool setting the profile should end with: the listed ones, and the default for the rest. */
const toolTargets = (entry: ProfileEntry, current: readonly ToolSetting[], serverIds: ReadonlyMap<string, string>): ToolTarget[] => {
  const listed = entry.tools.map((tool: ToolEntry) => ({
    serverId: serverIds.get(tool.server) as string,
    toolName: tool.tool,
    patch: { status: tool.status, name: tool.name, title: tool.title, description: tool.description, annotations: tool.annotations },
  }));
  const keys = new Set(listed.map((target) => toolKey(target.serverId, target.toolName)));
  const resets = current
    .filter((tool) => !keys.has(toolKey(tool.serverId, tool.toolName)))
    .map((tool) => ({ serverId: tool.serverId, toolName: tool.toolName, patch: DEFAULT_TOOL }));
  return [...resets, ...listed];
};

/**
 * Override names are unique in a profile, and the decider checks each change against the
 * others, so a file that swaps two names would fail half-way. Names that another tool is about
 * to take are cleared first.
 */
const releaseNames = (fold: ProfileFold, profileId: string, targets: readonly ToolTarget[]): void => {
  const wanted = new Map(targets.filter((t) => typeof t.patch.name === 'string').map((t) => [t.patch.name as string, toolKey(t.serverId, t.toolName)]));
  for (const tool of fold.tools) {
    const holder = tool.override.name === undefined ? undefined : wanted.get(tool.override.name);
    if (holder !== undefined && holder !== toolKey(tool.serverId, tool.toolName)) {
      fold.run({ type: 'SetTool', data: { profileId, serverId: tool.serverId, toolName: tool.toolName, name: null } });
    }
  }
};

/** Brings one profile to what its entry describes: settings, attached servers and tool settings. */
const applyEntry = (fold: ProfileFold, step: ProfileStep, entry: ProfileEntry, serverIds: ReadonlyMap<string, string>): void => {
  const { profileId } = step;
  if (fold.state.status === 'active') fold.run({ type: 'UpdateProfile', data: { profileId, changes: settingsOf(entry) } });
  else fold.run({ type: 'CreateProfile', data: { profileId, settings: settingsOf(entry) } });
  const listed = new Set(entry.servers.map((link) => serverIds.get(link.name)));
  const attached = fold.state.status === 'active' ? fold.state.servers : [];
  for (const link of attached.filter((server) => !listed.has(server.serverId))) {
    fold.run({ type: 'DetachServer', data: { profileId, serverId: link.serverId, reason: 'detached' } });
  }
  for (const link of entry.servers) {
    const serverId = serverIds.get(link.name) as string;
    fold.run({ type: 'SetServerLink', data: { profileId, serverId, status: link.status, serverRemoved: false } });
  }
  const targets = toolTargets(entry, fold.tools, serverIds);
  releaseNames(fold, profileId, targets);
  for (const target of targets) {
    fold.run({ type: 'SetTool', data: { ...target.patch, profileId, serverId: target.serverId, toolName: target.toolName } });
  }
};

/**
 * The entry with every imported server attached (active): the profile the import attaches to
 * lists them, so that a document naming that profile and `--profile` agree and a second run
 * changes nothing.
 */
const withAttached = (entry: ProfileEntry, plan: ImportPlan): ProfileEntry => {
  const imported = new Set(plan.servers.map((step) => step.entry.name));
  const listed = new Set(entry.servers.map((link) => link.name));
  return {
    ...entry,
    servers: [
      ...entry.servers.map((link) => (imported.has(link.name) ? { name: link.name, status: 'active' as const } : link)),
      ...plan.servers.filter((step) => !listed.has(step.entry.name)).map((step) => ({ name: step.entry.name, status: 'active' as const })),
    ],
  };
};

/** The events one profile step appends, decided on the profile's current stream. */
export const decideProfileStep = async (log: EventLog, step: ProfileStep, plan: ImportPlan): Promise<DecidedAppend<unknown>> => {
  const streamId = profile.profileStreamId(step.profileId);
  const { state, version } = await loadState(log, profile.profileDecider, streamId);
  const fold = new ProfileFold(state);
  const attach = plan.attachTo === step.slug;
  if (step.entry !== null) {
    applyEntry(fold, step, attach ? withAttached(step.entry, plan) : step.entry, plan.serverIds);
  } else if (attach) {
    for (const server of plan.servers) {
      fold.run({ type: 'SetServerLink', data: { profileId: step.profileId, serverId: server.serverId, status: 'active', serverRemoved: false } });
    }
  }
  return { streamId, events: fold.events, version, state: fold.state };
};
