export type { CertificateStatus } from './generated/CertificateStatus';
export type { EnrollResult } from './generated/EnrollResult';
export type { ExpiryLevel } from './generated/ExpiryLevel';
export type { ExportedP12 } from './generated/ExportedP12';
export type { FindingSeverity } from './generated/FindingSeverity';
export type { FindingView } from './generated/FindingView';
export type { IdentityDetails } from './generated/IdentityDetails';
export type { IdentityRow } from './generated/IdentityRow';
export type { ImportedReply } from './generated/ImportedReply';
export type { InstallResult } from './generated/InstallResult';
export type { IpcError } from './generated/IpcError';
export type { IpcErrorKind } from './generated/IpcErrorKind';
export type { NewIdentitySpec } from './generated/NewIdentitySpec';
export type { OverallStatus } from './generated/OverallStatus';
export type { Phase } from './generated/Phase';
export type { PracticeInfo } from './generated/PracticeInfo';
export type { ProfileView } from './generated/ProfileView';
export type { ProgressEvent } from './generated/ProgressEvent';
export type { RenewResult } from './generated/RenewResult';
export type { ReplySource } from './generated/ReplySource';
export type { RequestText } from './generated/RequestText';
export type { RevocationSource } from './generated/RevocationSource';
export type { RevocationState } from './generated/RevocationState';
export type { RowStatus } from './generated/RowStatus';
export type { ServerCa } from './generated/ServerCa';
export type { SiteCheck } from './generated/SiteCheck';
export type { SiteVerdict } from './generated/SiteVerdict';
export type { StoreView } from './generated/StoreView';
export {
  enrollEst,
  enrollPortal,
  enrollPractice,
  renewIdentity,
  resumeEnrollment,
  startPractice,
  type EstRequest,
  type PortalRequest,
  type PortalUpload,
} from './enroll';
export { onFileDropped, onProfileLaunched } from './events';
export {
  createRequest,
  deleteIdentity,
  exportP12,
  identityDetails,
  importReply,
  listIdentities,
  requestText,
  saveEmailRequest,
} from './identities';
export { CommandFailed, toIpcError, type OnProgress } from './ipc';
export { createRequestFromProfile, launchProfile, openProfile } from './profile';
export { checkSite } from './site';
export { certificateStatus } from './status';
export { installIdentity, listStores } from './stores';
