// Runs one `csp train`-equivalent request given as JSON in argv[2]; used by the crash/resume test,
// which SIGKILLs this process mid-run and then resumes in the same directory.
import { runTrainRequest, type TrainRequest } from "../../../src/train/train_run.js";

const request = JSON.parse(process.argv[2]) as TrainRequest;
const outcome = runTrainRequest(request);
process.stdout.write(
  JSON.stringify({ startStep: outcome.startStep, stepsRun: outcome.stepsRun, completed: outcome.completed }) +
    "\n",
);
