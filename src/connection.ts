/**
 * The sans-I/O connections: bytes in (`receive`), bytes out
 * (`takeOutgoing`), application data in (`write`) and out (`events`). No
 * sockets, no timers: a transport adapter, a test or a teaching page drives
 * them.
 *
 * When a hook or crypto provider returns a Promise, the connection waits in
 * its state; input that arrives meanwhile is kept (bounded) and processed
 * once the step settles. `settled()` tells when that has happened.
 */
import type { ClientConfig, ConnectionState, ServerConfig } from './config.js';
import { TLSError, asTLSError } from './errors.js';
import { ClientHandshake, CLIENT_TRANSITIONS, type ClientOptions, type ClientState } from './handshake/client.js';
import type { Handshake, HandshakeHost } from './handshake/common.js';
import type { ConnectionEvent } from './handshake/events.js';
import { ServerHandshake, SERVER_TRANSITIONS, type ServerState } from './handshake/server.js';
import { clientSettings, serverSettings, type CommonSettings } from './handshake/settings.js';
import { RecordLayer, type RecordItem } from './record/index.js';
import { AlertDescription, AlertLevel, alertName } from './registry.js';
import { type Step, isPromiseLike, run } from './util/steps.js';

export type { ConnectionEvent } from './handshake/events.js';

/** Largest chunk handed to the record layer at once (one maximal record). */
const FEED_CHUNK = 16_645;
/** Input kept while a step waits on a Promise; a peer sending more is misbehaving. */
const MAX_QUEUED_INPUT = 4 * 1024 * 1024;
/** Decrypted application data held for events() before we stop decrypting more. */
const MAX_UNDELIVERED_DATA = 4 * 1024 * 1024;
/** Warning alerts (user_canceled) accepted in a row without application data. */
const MAX_WARNING_ALERTS = 16;
/** Application data written before the handshake completes, kept until it does. */
const MAX_QUEUED_WRITES = 4 * 1024 * 1024;

abstract class Connection<S extends string> implements HandshakeHost {
  readonly record: RecordLayer;
  protected abstract readonly handshake: Handshake<S>;

  private readonly queue: ConnectionEvent[] = [];
  private readonly input: Uint8Array[] = [];
  private inputLength = 0;
  private readonly pendingWrites: Uint8Array[] = [];
  private pendingWriteLength = 0;
  private busy: Promise<void> | undefined;
  private failure: TLSError | undefined;
  private readClosed = false;
  private writeClosed = false;
  private closeEmitted = false;
  private warningAlerts = 0;
  private completeSeen = false;
  /** Bytes of application data queued as events and not yet taken. */
  private undelivered = 0;
  private readonly confirmWaiters: { resolve: () => void; reject: (err: TLSError) => void }[] = [];

  constructor(protected readonly settings: CommonSettings) {
    this.record = new RecordLayer(settings.provider, {
      ...(settings.maxHandshakeMessageSize === undefined ? {} : { maxHandshakeMessageLength: settings.maxHandshakeMessageSize }),
      ...(settings.config.padding ? { padding: settings.config.padding } : {}),
    });
  }

  // ------------------------------------------------------------ public API

  /** The handshake state (RFC 8446 Appendix A name). */
  get handshakeState(): S {
    return this.handshake.state;
  }

  /** The negotiated parameters so far. */
  get state(): ConnectionState {
    return this.handshake.connectionState();
  }

  get handshakeComplete(): boolean {
    // Checked for every record written and received; completion never reverts,
    // so once seen it is remembered rather than copying the state object again.
    if (!this.completeSeen) this.completeSeen = this.handshake.connectionState().handshakeComplete;
    return this.completeSeen;
  }

  /** The error that closed the connection, if any. */
  get error(): TLSError | undefined {
    return this.failure;
  }

  /** True once both directions are closed or the connection failed. */
  get closed(): boolean {
    return this.failure !== undefined || (this.readClosed && this.writeClosed);
  }

  /** Feeds bytes that arrived from the transport. */
  receive(bytes: Uint8Array): void {
    if (this.failure || this.readClosed || bytes.length === 0) return;
    this.inputLength += bytes.length;
    if (this.inputLength > MAX_QUEUED_INPUT) {
      this.fail(new TLSError('internal_error', 'more than 4 MiB of input is waiting: take events() as data arrives (and let asynchronous hooks settle)'));
      return;
    }
    // Process the caller's bytes in place; the record layer copies what it
    // buffers. Only what is still queued here when we return (a step is
    // waiting on an asynchronous provider or hook) needs its own copy, since
    // the caller may reuse its buffer once receive() returns.
    this.input.push(bytes);
    this.pump();
    this.record.detachInput();
    this.detachQueuedInput(bytes);
  }

  /** Replaces the queued pieces that still view `bytes` (the caller's buffer) with copies. */
  private detachQueuedInput(bytes: Uint8Array): void {
    const input = this.input;
    for (let i = 0; i < input.length; i++) {
      const chunk = input[i]!;
      if (chunk.buffer === bytes.buffer) input[i] = chunk.slice();
    }
  }

  /** Takes the events raised since the last call. */
  events(): ConnectionEvent[] {
    const taken = this.queue.splice(0, this.queue.length);
    // Taking the data makes room: go on with input held back while it was full.
    if (this.undelivered > 0) {
      this.undelivered = 0;
      this.pump();
    }
    return taken;
  }

  /** Takes the bytes that must be sent to the peer now. */
  takeOutgoing(): Uint8Array {
    return this.record.takeOutgoing();
  }

  /**
   * Sends application data; before the handshake completes it is kept and
   * sent as soon as it does.
   */
  write(data: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (this.writeClosed) throw new TLSError('internal_error', 'write after close(): the connection no longer sends data');
    if (data.length === 0) return;
    if (!this.handshakeComplete || this.pendingWrites.length > 0) {
      data = this.writeEarly(data);
      if (data.length === 0) return;
      if (this.pendingWriteLength + data.length > MAX_QUEUED_WRITES) {
        throw new TLSError('internal_error', 'more than 4 MiB written before the handshake completed: wait for the handshake event');
      }
      this.pendingWrites.push(data.slice());
      this.pendingWriteLength += data.length;
      return;
    }
    this.writeNow(data);
  }

  /** Client 0-RTT: sends what the ticket allows now, returns the rest. */
  protected writeEarly(data: Uint8Array): Uint8Array {
    return data;
  }

  /** True once the handshake is confirmed: for a server, the client's Finished was verified (0-RTT data is replayable until then). */
  get handshakeConfirmed(): boolean {
    return this.handshake.connectionState().handshakeConfirmed;
  }

  /** Resolves once the handshake is confirmed; rejects if the connection fails first. */
  confirmHandshake(): Promise<void> {
    if (this.handshakeConfirmed) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.confirmWaiters.push({ resolve, reject }));
  }

  /** Sends close_notify (§6.1): we send no more; the peer may still send until it closes too. */
  close(): void {
    if (this.failure || this.writeClosed) return;
    this.flushPendingWrites();
    this.writeClosed = true;
    this.record.writeAlert(AlertLevel.warning, 'close_notify');
    this.handshakeTrace('sent', 'close_notify', 'warning');
    this.maybeClosed();
  }

  /** Sends a KeyUpdate (§4.6.3), asking the peer to update too unless told otherwise. */
  updateKeys(requestPeerUpdate = true): void {
    if (this.failure) throw this.failure;
    if (this.writeClosed) throw new TLSError('internal_error', 'updateKeys() after close(): nothing may follow close_notify (§6.1)');
    if (!this.handshakeComplete) throw new TLSError('internal_error', 'keys can be updated only after the handshake');
    this.handshake.sendKeyUpdate(requestPeerUpdate);
  }

  /** Keying material from the exporter (RFC 8446 §7.5, RFC 5705 interface). */
  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Uint8Array {
    if (this.failure) throw this.failure;
    return this.handshake.exportKeyingMaterial(label, context, length);
  }

  /** Resolves once no step is waiting on a Promise (at once for synchronous hooks). */
  async settled(): Promise<void> {
    while (this.busy) await this.busy;
  }

  /** Part of HandshakeHost: nothing more may be sent after our close_notify or a fatal alert (§6). */
  get sendingClosed(): boolean {
    return this.failure !== undefined || this.writeClosed;
  }

  /** Part of HandshakeHost: the handshake raises events through the connection. */
  emit(event: ConnectionEvent): void {
    this.queue.push(event);
    if (event.type === 'early_data' && event.resent) {
      // Rejected 0-RTT data goes again, first, as 1-RTT data.
      this.pendingWrites.unshift(event.rejected);
      this.pendingWriteLength += event.rejected.length;
    }
    if (event.type === 'handshake') {
      this.flushPendingWrites();
      if (event.state.handshakeConfirmed) for (const w of this.confirmWaiters.splice(0)) w.resolve();
    }
  }

  // --------------------------------------------------------------- internals

  /** Runs a step that may go asynchronous, then carries on with the input. */
  protected runStep(step: Step<void>): void {
    let result;
    try {
      result = run(step);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (isPromiseLike(result)) {
      this.busy = Promise.resolve(result).then(
        () => {
          this.busy = undefined;
          this.pump();
        },
        (err: unknown) => {
          this.busy = undefined;
          this.fail(err);
        },
      );
    }
  }

  private pump(): void {
    try {
      // Anything after the peer's close_notify is ignored, even in the same read (§6.1).
      // Decrypted data waiting for events() is bounded: past it, the input
      // waits (and is itself bounded), so a reader that never reads cannot
      // make us hold the whole stream in memory.
      while (!this.busy && !this.failure && !this.readClosed && this.undelivered < MAX_UNDELIVERED_DATA) {
        const item = this.nextItem();
        if (!item) return;
        this.dispatch(item);
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private nextItem(): RecordItem | undefined {
    for (;;) {
      const item = this.record.nextMessage();
      if (item) return item;
      const chunk = this.input.shift();
      if (!chunk) return undefined;
      if (chunk.length > FEED_CHUNK) this.input.unshift(chunk.subarray(FEED_CHUNK));
      const piece = chunk.length > FEED_CHUNK ? chunk.subarray(0, FEED_CHUNK) : chunk;
      this.inputLength -= piece.length;
      // Borrowed: whole records are read from the piece in place. receive()
      // detaches before it returns; pieces queued in `input` are our copies.
      this.record.receive(piece, true);
    }
  }

  private dispatch(item: RecordItem): void {
    switch (item.kind) {
      case 'handshake':
        this.runStep(this.handshake.receive(item.message));
        return;
      case 'application_data':
        this.receiveApplicationData(item.data);
        return;
      case 'alert':
        this.receiveAlert(item.level, item.description);
        return;
      case 'change_cipher_spec':
        this.settings.config.trace?.({ kind: 'change_cipher_spec', direction: 'received' });
        return;
    }
  }

  /** Application data is only accepted once the peer is authenticated (§2). */
  protected receiveApplicationData(data: Uint8Array): void {
    if (!this.handshakeComplete) {
      throw new TLSError('unexpected_message', 'application data before the handshake completed');
    }
    this.deliver(data, false);
  }

  protected deliver(bytes: Uint8Array, early: boolean): void {
    this.undelivered += bytes.length;
    this.warningAlerts = 0;
    this.handshake.noteApplicationData();
    this.queue.push({ type: 'data', bytes, early });
  }

  /**
   * close_notify ends the peer's direction; user_canceled is informational;
   * every other alert is fatal whatever its level says (§6).
   */
  private receiveAlert(level: number, description: number): void {
    const name = alertName(description) ?? `alert ${description}`;
    this.handshakeTrace('received', name, level === AlertLevel.warning ? 'warning' : 'fatal');
    if (description === AlertDescription.close_notify) {
      this.readClosed = true;
      this.input.length = 0;
      this.inputLength = 0;
      this.queue.push({ type: 'end' });
      this.maybeClosed();
      return;
    }
    if (description === AlertDescription.user_canceled && level === AlertLevel.warning) {
      // Harmless one at a time; a stream of them is a peer keeping us busy.
      if (++this.warningAlerts > MAX_WARNING_ALERTS) {
        throw new TLSError('unexpected_message', `more than ${MAX_WARNING_ALERTS} warning alerts without application data in between`);
      }
      this.queue.push({ type: 'alert', alert: name });
      return;
    }
    this.fail(TLSError.fromRemote(description));
  }

  private handshakeTrace(direction: 'sent' | 'received', alert: string, level: 'warning' | 'fatal'): void {
    this.settings.config.trace?.({ kind: 'alert', direction, alert, level });
  }

  private writeNow(data: Uint8Array): void {
    this.handshake.noteApplicationData();
    this.record.writeApplicationData(data);
    if (this.record.keyUpdateDue) this.handshake.sendKeyUpdate(false);
  }

  private flushPendingWrites(): void {
    if (!this.handshakeComplete) return;
    const writes = this.pendingWrites.splice(0, this.pendingWrites.length);
    this.pendingWriteLength = 0;
    for (const w of writes) this.writeNow(w);
  }

  /** A fatal error: send our alert (if we raised it), and stop (§6.2). */
  private fail(err: unknown): void {
    if (this.failure) return;
    const error = asTLSError(err, 'handshake failed');
    this.failure = error;
    this.busy = undefined;
    if (error.side === 'local' && !this.writeClosed) {
      try {
        this.record.writeAlert(AlertLevel.fatal, error.alert);
        this.handshakeTrace('sent', error.alert, 'fatal');
      } catch {
        // The alert is a courtesy; the connection is closed either way.
      }
    }
    this.readClosed = this.writeClosed = true;
    this.queue.push({ type: 'error', error });
    for (const w of this.confirmWaiters.splice(0)) w.reject(error);
    this.emitClose();
  }

  private maybeClosed(): void {
    if (this.readClosed && this.writeClosed) this.emitClose();
  }

  private emitClose(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.queue.push({ type: 'close' });
  }
}

export class ClientConnection extends Connection<ClientState> {
  protected readonly handshake: ClientHandshake;
  static readonly transitions = CLIENT_TRANSITIONS;

  constructor(config: ClientConfig = {}, options: ClientOptions = {}) {
    const settings = clientSettings(config);
    super(settings);
    this.handshake = new ClientHandshake(this, settings, options);
    this.runStep(this.handshake.start());
  }

  /** Bytes that may still be sent as 0-RTT data right now. */
  get earlyDataWritable(): number {
    return this.handshake.earlyDataWritable;
  }

  protected override writeEarly(data: Uint8Array): Uint8Array {
    const n = Math.min(this.handshake.earlyDataWritable, data.length);
    if (n > 0) this.handshake.writeEarlyData(data.subarray(0, n));
    return data.subarray(n);
  }
}

export class ServerConnection extends Connection<ServerState> {
  protected readonly handshake: ServerHandshake;
  static readonly transitions = SERVER_TRANSITIONS;

  constructor(config: ServerConfig) {
    const settings = serverSettings(config);
    super(settings);
    this.handshake = new ServerHandshake(this, settings);
  }

  /**
   * 0-RTT data arrives between ClientHello and EndOfEarlyData; it is
   * delivered flagged `early` (replayable), never merged with 1-RTT data.
   */
  protected override receiveApplicationData(data: Uint8Array): void {
    if (this.handshake.readingEarlyData) {
      this.handshake.chargeEarlyData(data.length);
      this.deliver(data, true);
      return;
    }
    super.receiveApplicationData(data);
  }

  /** Sends `count` more NewSessionTickets (after the handshake). */
  sendTickets(count = 1): void {
    if (this.error) throw this.error;
    if (this.sendingClosed) throw new TLSError('internal_error', 'sendTickets() after close(): nothing may follow close_notify (§6.1)');
    if (!this.handshakeComplete) throw new TLSError('internal_error', 'tickets can be sent only after the handshake');
    this.runStep(this.handshake.sendTickets(count));
  }
}
