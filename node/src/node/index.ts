export { AttributionMessages, createAttributionRoute, MAX_ATTRIBUTION_MESSAGES } from "./attributionMessages.js";
export { NodeAttributor, type SharesOf } from "./attributor.js";
export {
  type LocalCorpusSample,
  type LocalVersion,
  LocalVersionError,
  listLocalVersions,
  readCorpusSamples,
} from "./localVersions.js";
export { NODE_DIRS, NodeStartError, OlNode, type OlNodeModules, type OlNodeOptions } from "./olNode.js";
export { createRecordsValidator, type RecordsGossipLogger, STORE_WRITE_FAILED, toEntry } from "./recordsGossip.js";
