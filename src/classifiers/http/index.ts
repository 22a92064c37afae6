export { HttpClassifier, parseExplainRequest, type ClassifiedRequest, type HttpClassifierOptions } from './http-classifier.js';
export { HOP_BY_HOP_HEADERS, isCredentialHeader, type HttpRequestView } from './http-request.js';
export { PROFILE_NAMES, type ProfileName } from './profiles/request-profile.js';
export { checkRequestFraming, type FramingCheck } from './request-framing.js';
export { normaliseMethod, normaliseRequestTarget, type RequestTarget } from './request-target.js';
