import type { Logger } from 'pino';
import type { AirlockConfig, ShellTargetConfig } from '../../config/schema.js';
import type { Principal } from '../../model/principal.js';
import type { Clock } from '../../time/clock.js';
import type { RecordingRequest } from './session-channel.js';
import { type RecordedSession, type RecordingSettings, SessionRecording } from './session-recording.js';

export interface ShellRecordingsInit {
  readonly config: AirlockConfig['shell']['recording'];
  /** `shell.recording.dir`, or `<data_dir>/recordings`. */
  readonly dir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A session channel's recording is complete (the `session.recorded` audit event). */
  readonly onRecorded: (recorded: RecordedSession) => void;
}

/** Where a connection's session channels get their recordings, with the settings of their target. */
export class ShellRecordings {
  constructor(private readonly init: ShellRecordingsInit) {}

  settingsFor(target: ShellTargetConfig): RecordingSettings {
    const { config, dir } = this.init;
    return {
      dir,
      required: target.recording.required ?? config.required,
      recordInput: target.recording.record_input ?? config.record_input,
      bufferBytes: config.buffer_bytes,
    };
  }

  /** Opens one channel's recording; null when it cannot be opened and is not required (logged). */
  async start(request: RecordingRequest & { sessionId: string; channelNumber: number; principal: Principal; target: ShellTargetConfig; source: string }): Promise<SessionRecording | null> {
    const settings = this.settingsFor(request.target);
    try {
      return await SessionRecording.start({
        settings,
        clock: this.init.clock,
        sessionId: request.sessionId,
        channelNumber: request.channelNumber,
        principal: request.principal,
        target: request.target.name,
        source: request.source,
        kind: request.kind,
        terminal: request.terminal,
        ...(request.command !== undefined ? { command: request.command } : {}),
        onFailure: request.onFailure,
      });
    } catch (err) {
      if (settings.required) throw err;
      this.init.logger.warn({ err, sessionId: request.sessionId }, 'cannot record the session; it goes on unrecorded (recording is not required for this target)');
      return null;
    }
  }

  /** Closes a recording once its channel closed, and reports it. */
  finished(recording: SessionRecording): void {
    recording.finish().then(this.init.onRecorded, (err: unknown) => this.init.logger.error({ err, file: recording.file }, 'cannot close the session recording'));
  }
}
