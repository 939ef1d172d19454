/**
 * The teaching view (layer 9): every handshake message decoded field by
 * field with the RFC section it comes from, every state transition and key
 * change, as text (coloured on request) or JSON; and the state machine
 * diagrams generated from the transition tables. Runs in any JavaScript
 * runtime: it never touches the terminal itself.
 */
export {
  type FieldNode,
  type DescribeOptions,
  type RecordView,
  describeMessage,
  describeExtension,
  describeCertificateData,
  describeRecord,
  hexPreview,
  versionName,
} from './describe.js';
export {
  type Side,
  type Direction,
  type WireRecordEntry,
  type InspectEntry,
  type RecordedEntry,
  type TraceRecorderOptions,
  type FormatOptions,
  type JsonOptions,
  type JsonValue,
  type JsonTraceEntry,
  TraceClock,
  TraceRecorder,
  formatTrace,
  formatDialogue,
  traceToJSON,
  toJsonValue,
} from './trace.js';
export { type Palette, palette, renderFields, formatFields, stripAnsi, ANSI_PATTERN } from './render.js';
export { messageName, messageSection, extensionSection } from './rfc.js';
export {
  type InitiatedStep,
  CLIENT_INITIATED,
  SERVER_INITIATED,
  stateDiagram,
  transitionTableMarkdown,
  stateMachineMarkdown,
  passThroughStates,
} from './diagram.js';
