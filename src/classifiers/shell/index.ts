export { createShellClassifier, type ShellClassifier, type SqlRisk } from './shell-classifier.js';
