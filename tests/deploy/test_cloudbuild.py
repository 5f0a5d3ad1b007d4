"""cloudbuild.yaml, checked without Google Cloud: its substitutions, the order of its steps,
the files they use, no secret in it, and what its scripts run, with `gcloud` and `docker`
replaced by recorders."""

import json
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetsim import settings as settings_module

from .dockerfile import copies, parse

ROOT = Path(__file__).resolve().parents[2]
BUILTINS = {
    "PROJECT_ID", "PROJECT_NUMBER", "BUILD_ID", "LOCATION", "COMMIT_SHA", "SHORT_SHA",
    "REVISION_ID", "REPO_NAME", "REPO_FULL_NAME", "BRANCH_NAME", "TAG_NAME", "REF_NAME",
    "TRIGGER_NAME", "TRIGGER_BUILD_CONFIG_PATH", "SERVICE_ACCOUNT_EMAIL", "SERVICE_ACCOUNT",
}  # fmt: skip
"""Cloud Build's default substitutions; any other `$NAME` is a build error."""
SUBSTITUTION = re.compile(r"\$(?:\$|\{(\w+)\}|(\w+))")
BUILD = {"PROJECT_ID": "proj", "PROJECT_NUMBER": "123456789", "SHORT_SHA": "abc1234"}
REQUIRED = {"_DB_INSTANCE": "proj:europe-west3:fleetsim", "_BUCKET": "proj-fleetsim"}
WORKER_URL = "https://fleetsim-worker-xyz-ey.a.run.app"


def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    return data


def strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def substitute(text: str, values: dict[str, str]) -> str:
    """As Cloud Build does: `$$` is a literal `$`; `$NAME` and `${NAME}` take the value."""

    def one(match: re.Match[str]) -> str:
        name = match[1] or match[2]
        return "$" if name is None else values[name]

    return SUBSTITUTION.sub(one, text)


def values(build: dict[str, Any], **overrides: str) -> dict[str, str]:
    return {
        **BUILD,
        **{k: str(v) for k, v in build["substitutions"].items()},
        **REQUIRED,
        **overrides,
    }


def script(step: dict[str, Any]) -> str:
    assert step.get("entrypoint") == "bash" and step["args"][0] == "-ceu", (
        f"step {step['id']}: scripts run as `bash -ceu` so a failing command fails the build"
    )
    text: str = step["args"][-1]
    return text


def ancestors(steps: list[dict[str, Any]], step_id: str) -> set[str]:
    """Steps that finish before `step_id` starts: its waitFor, transitively; without waitFor
    a step waits for every step before it."""
    index = {step["id"]: i for i, step in enumerate(steps)}
    direct = steps[index[step_id]].get("waitFor")
    parents = [s["id"] for s in steps[: index[step_id]]] if direct is None else direct
    found: set[str] = set()
    for parent in parents:
        if parent != "-":
            found |= {parent} | ancestors(steps, parent)
    return found


def test_every_substitution_is_declared_and_used() -> None:
    build = load()
    declared = set(build["substitutions"])
    used: set[str] = set()
    for text in strings({k: v for k, v in build.items() if k != "substitutions"}):
        used |= {m[1] or m[2] for m in SUBSTITUTION.finditer(text) if m[1] or m[2]}
    undeclared = {name for name in used - declared if not name.startswith("_")} - BUILTINS
    assert not undeclared, f"not substitutions (write shell variables as $$NAME): {undeclared}"
    assert not {n for n in used if n.startswith("_")} - declared, "used but not declared"
    assert not declared - used, "declared but unused: Cloud Build rejects the build"
    for name in ("_REGION", "_REPOSITORY", "_DB_INSTANCE", "_DB_SECRET", "_BUCKET", "_TOPIC"):
        assert name in declared


GCLOUD_LOADER = """
import json, sys
sdk = sys.argv[1]
sys.path[:0] = [sdk + "/lib", sdk + "/lib/third_party"]
try:
    from googlecloudsdk.api_lib.cloudbuild import cloudbuild_util, config
except ImportError as exc:
    print(exc)
    sys.exit(3)
build = config.LoadCloudbuildConfigFromPath(
    sys.argv[2], cloudbuild_util.GetMessagesModule(), params=json.loads(sys.argv[3])
)
print(json.dumps([step.id for step in build.steps]))
"""


def test_gcloud_reads_the_config_as_a_build() -> None:
    """gcloud's own loader, as `gcloud builds submit` runs it: unknown fields are errors."""
    gcloud = shutil.which("gcloud")
    sdk = Path(gcloud).resolve().parents[1] if gcloud else None
    if sdk is None or not (sdk / "lib" / "googlecloudsdk").is_dir():
        pytest.skip("the Google Cloud SDK is not installed")
    bundled = sdk / "platform" / "bundledpythonunix" / "bin" / "python3"
    python = str(bundled) if bundled.exists() else sys.executable
    params = json.dumps({"SHORT_SHA": BUILD["SHORT_SHA"], **REQUIRED})
    done = subprocess.run(
        [python, "-c", GCLOUD_LOADER, str(sdk), str(ROOT / "cloudbuild.yaml"), params],
        capture_output=True,
        text=True,
    )
    if done.returncode == 3:
        pytest.skip(f"this Cloud SDK has no build config loader: {done.stdout.strip()}")
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == [step["id"] for step in load()["steps"]]


def test_steps_are_valid_bash_with_unique_ids() -> None:
    build = load()
    ids = [step["id"] for step in build["steps"]]
    assert len(ids) == len(set(ids))
    for step in build["steps"]:
        for parent in step.get("waitFor", []):
            assert parent == "-" or parent in ids, f"{step['id']} waits for unknown {parent}"
        text = substitute(script(step), values(build))
        done = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
        assert done.returncode == 0, f"step {step['id']}: {done.stderr}"


def test_migrations_run_after_the_push_and_before_both_deploys() -> None:
    steps = load()["steps"]
    assert {"build-api", "push-api"} <= ancestors(steps, "migrate")
    assert {"migrate", "push-api"} <= ancestors(steps, "deploy-api")
    assert {"migrate", "push-worker"} <= ancestors(steps, "deploy-worker")
    assert {"deploy-worker", "topics"} <= ancestors(steps, "subscription")


def test_no_secret_in_the_file() -> None:
    text = (ROOT / "cloudbuild.yaml").read_text()
    assert not re.search(r"\w+://[^/\s:@]+:[^@\s/]+@", text), "a URL with a password"
    assert not re.search(r"(?i)password\s*[:=]", text)
    assert "BEGIN PRIVATE KEY" not in text
    # DATABASE_URL reaches the services and the migration only as a Secret Manager reference.
    for line in text.splitlines():
        if "DATABASE_URL=" in line:
            assert re.search(r"DATABASE_URL=\$\{_DB_SECRET\}:latest", line), line


def test_the_api_image_carries_what_the_migration_job_runs() -> None:
    dockerfile = parse(ROOT / "Dockerfile.api")
    copied = {s.rstrip("/") for c in copies(dockerfile.final) for s in c.sources}
    assert {"alembic.ini", "migrations"} <= copied
    assert (ROOT / "alembic.ini").is_file() and (ROOT / "migrations" / "env.py").is_file()
    assert "script_location = %(here)s/migrations" in (ROOT / "alembic.ini").read_text()


@dataclass
class Call:
    step: str
    argv: list[str]

    def flag(self, name: str) -> str | None:
        for i, word in enumerate(self.argv):
            if word == name and i + 1 < len(self.argv):
                return self.argv[i + 1]
            if word.startswith(name + "="):
                return word.partition("=")[2]
        return None

    def key_values(self, name: str) -> dict[str, str]:
        text = self.flag(name) or ""
        return dict(pair.partition("=")[::2] for pair in text.split(",") if pair)


RECORDER = """#!{python}
import json, os, sys
argv = [os.path.basename(sys.argv[0]), *sys.argv[1:]]
with open(os.environ["RECORD"], "a") as log:
    log.write(json.dumps({{"step": os.environ["STEP"], "argv": argv}}) + "\\n")
if argv[0] == "gcloud" and "describe" in argv:
    if "--format=value(status.url)" in argv:
        print("{url}")
        sys.exit(0)
    sys.exit(0 if os.environ["EXISTING"] == "1" else 1)
"""


def run_build(tmp_path: Path, *, existing: bool, **overrides: str) -> list[Call]:
    """Every step in order, with recorders for gcloud and docker; the calls they made."""
    build = load()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("gcloud", "docker"):
        recorder = bin_dir / tool
        recorder.write_text(RECORDER.format(python=sys.executable, url=WORKER_URL))
        recorder.chmod(recorder.stat().st_mode | stat.S_IEXEC)
    record = tmp_path / "calls.jsonl"
    subs = values(build, **overrides)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "RECORD": str(record),
        "EXISTING": "1" if existing else "0",
    }
    for step in build["steps"]:
        step_env = dict(substitute(item, subs).partition("=")[::2] for item in step.get("env", []))
        done = subprocess.run(
            ["bash", "-ceu", substitute(script(step), subs)],
            env={**env, **step_env, "STEP": step["id"]},
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise StepFailedError(step["id"], done.stderr)
    lines = record.read_text().splitlines() if record.exists() else []
    return [Call(**json.loads(line)) for line in lines]


class StepFailedError(Exception):
    def __init__(self, step: str, stderr: str) -> None:
        super().__init__(f"step {step} failed: {stderr}")
        self.step, self.stderr = step, stderr


def calls_of(calls: list[Call], *words: str) -> list[Call]:
    return [c for c in calls if c.argv[: len(words)] == list(words)]


def only(calls: list[Call], *words: str) -> Call:
    found = calls_of(calls, *words)
    assert len(found) == 1, f"{' '.join(words)}: {len(found)} calls"
    return found[0]


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> list[Call]:
    """A build into an empty project: nothing exists yet."""
    return run_build(tmp_path_factory.mktemp("first"), existing=False)


@pytest.fixture(scope="module")
def next_build(tmp_path_factory: pytest.TempPathFactory) -> list[Call]:
    """A build into a project where the topics and subscriptions exist."""
    return run_build(tmp_path_factory.mktemp("next"), existing=True)


def image(name: str) -> str:
    return f"europe-west3-docker.pkg.dev/proj/fleetsim/{name}"


def test_both_images_are_built_from_their_dockerfile_and_pushed(first_build: list[Call]) -> None:
    builds = {c.flag("-f"): c for c in calls_of(first_build, "docker", "build")}
    assert set(builds) == {"Dockerfile", "Dockerfile.api"}
    for dockerfile, name in (("Dockerfile.api", "fleetsim-api"), ("Dockerfile", "fleetsim-worker")):
        assert (ROOT / dockerfile).is_file()
        call = builds[dockerfile]
        tags = [call.argv[i + 1] for i, w in enumerate(call.argv) if w == "-t"]
        assert f"{image(name)}:abc1234" in tags
        assert call.flag("--cache-from") == f"{image(name)}:latest"
        assert call.argv[-1] == "."
        push = [c for c in calls_of(first_build, "docker", "push") if image(name) in c.argv]
        assert push and "--all-tags" in push[0].argv


def test_migration_runs_alembic_from_the_api_image_with_the_secret(
    first_build: list[Call],
) -> None:
    job = only(first_build, "gcloud", "run", "jobs", "deploy")
    assert job.step == "migrate"
    assert job.flag("--image") == f"{image('fleetsim-api')}:abc1234"
    assert (job.flag("--command"), job.flag("--args")) == ("alembic", "upgrade,head")
    assert job.key_values("--set-secrets") == {"DATABASE_URL": "fleetsim-database-url:latest"}
    assert job.flag("--set-cloudsql-instances") == REQUIRED["_DB_INSTANCE"]
    assert "--wait" in job.argv, "without --wait a failed migration does not stop the deploy"


def deployed(calls: list[Call], service: str) -> Call:
    found = [c for c in calls_of(calls, "gcloud", "run", "deploy") if c.argv[3] == service]
    assert len(found) == 1
    return found[0]


def test_services_run_the_new_images_with_their_settings(first_build: list[Call]) -> None:
    api, worker = deployed(first_build, "fleetsim-api"), deployed(first_build, "fleetsim-worker")
    assert api.flag("--image") == f"{image('fleetsim-api')}:abc1234"
    assert worker.flag("--image") == f"{image('fleetsim-worker')}:abc1234"
    topic = "projects/proj/topics/fleetsim-jobs"
    for service in (api, worker):
        env = service.key_values("--set-env-vars")
        assert env["FLEETSIM_ENV"] == "prod"
        assert env["FLEETSIM_PUBSUB_TOPIC"] == topic
        assert env["FLEETSIM_GCS_BUCKET"] == REQUIRED["_BUCKET"]
        assert env["FLEETSIM_MAX_ATTEMPTS"] == "5"
        assert service.key_values("--set-secrets")["DATABASE_URL"] == "fleetsim-database-url:latest"
        assert service.flag("--set-cloudsql-instances") == REQUIRED["_DB_INSTANCE"]
        assert service.flag("--region") == "europe-west3"
        assert (service.flag("--service-account") or "").endswith("@proj.iam.gserviceaccount.com")
    assert api.key_values("--set-secrets")["FLEETSIM_API_KEYS"] == "fleetsim-api-keys:latest"
    assert "--no-allow-unauthenticated" in worker.argv
    assert worker.flag("--timeout") == "600"
    assert int(worker.flag("--concurrency") or 80) <= 4, "CPU-bound jobs: few per instance"
    for service in (api, worker):  # simulations and reports need more than the 512 MiB default
        assert service.flag("--memory") == "2Gi"
    audience = worker.key_values("--set-env-vars")["FLEETSIM_PUSH_AUDIENCE"]
    assert worker.flag("--set-custom-audiences") == audience
    pusher = worker.key_values("--set-env-vars")["FLEETSIM_PUSH_SERVICE_ACCOUNT"]
    assert pusher == "fleetsim-push@proj.iam.gserviceaccount.com"


def test_env_vars_name_settings_the_services_read(first_build: list[Call]) -> None:
    names = {
        name
        for service in ("fleetsim-api", "fleetsim-worker")
        for name in deployed(first_build, service).key_values("--set-env-vars")
    }
    known = {
        (alias if isinstance(alias := info.validation_alias, str) else prefix + field).upper()
        for cls in vars(settings_module).values()
        if isinstance(cls, type) and issubclass(cls, settings_module.BaseSettings)
        for prefix in [cls.model_config.get("env_prefix", "")]
        for field, info in cls.model_fields.items()
    }
    unknown = sorted(names - known)
    pending = {"FLEETSIM_GCS_BUCKET", "FLEETSIM_PUSH_AUDIENCE", "FLEETSIM_PUSH_SERVICE_ACCOUNT"}
    if unknown and set(unknown) <= pending and not (ROOT / "main_pubsub.py").exists():
        pytest.skip(f"{unknown}: settings of the Pub/Sub worker, which does not exist yet")
    assert not unknown, f"fleetsim.settings reads no {unknown} (extra env vars are ignored)"


def subscription_flags(calls: list[Call], verb: str) -> Call:
    return only(calls, "gcloud", "pubsub", "subscriptions", verb, "fleetsim-jobs-push")


@pytest.mark.parametrize("verb", ["create", "update"])
def test_push_subscription_is_authenticated_with_backoff_and_dead_letters(
    first_build: list[Call], next_build: list[Call], verb: str
) -> None:
    call = subscription_flags(first_build if verb == "create" else next_build, verb)
    if verb == "create":
        assert call.flag("--topic") == "fleetsim-jobs"
    worker = deployed(first_build, "fleetsim-worker")
    assert call.flag("--push-endpoint") == f"{WORKER_URL}/pubsub/push"
    assert call.flag("--push-auth-service-account") == "fleetsim-push@proj.iam.gserviceaccount.com"
    assert call.flag("--push-auth-token-audience") == worker.flag("--set-custom-audiences")
    ack_deadline = int(call.flag("--ack-deadline") or 0)
    assert ack_deadline == int(worker.flag("--timeout") or 0) <= 600
    assert call.flag("--min-retry-delay") and call.flag("--max-retry-delay")
    assert call.flag("--dead-letter-topic") == "fleetsim-jobs-dead-letter"
    deliveries = int(call.flag("--max-delivery-attempts") or 0)
    assert 5 <= deliveries <= 100
    # The job's last claim must fail it before Pub/Sub gives the message up.
    assert deliveries > int(worker.key_values("--set-env-vars")["FLEETSIM_MAX_ATTEMPTS"])
    assert call.flag("--expiration-period") == "never", "an idle subscription would expire"


def test_dead_letters_are_kept_and_may_be_forwarded(first_build: list[Call]) -> None:
    created = {c.argv[4] for c in calls_of(first_build, "gcloud", "pubsub", "topics", "create")}
    assert created == {"fleetsim-jobs", "fleetsim-jobs-dead-letter"}
    hold = only(
        first_build, "gcloud", "pubsub", "subscriptions", "create", "fleetsim-jobs-dead-letter-hold"
    )
    assert hold.flag("--topic") == "fleetsim-jobs-dead-letter"
    agent = "serviceAccount:service-123456789@gcp-sa-pubsub.iam.gserviceaccount.com"
    grants = {
        (c.argv[2], c.argv[4], c.flag("--role"))
        for c in first_build
        if c.argv[3:4] == ["add-iam-policy-binding"] and c.flag("--member") == agent
    }
    assert grants == {
        ("topics", "fleetsim-jobs-dead-letter", "roles/pubsub.publisher"),
        ("subscriptions", "fleetsim-jobs-push", "roles/pubsub.subscriber"),
    }


def test_the_api_and_the_workers_may_publish_to_the_jobs_topic(first_build: list[Call]) -> None:
    """The API publishes jobs; a worker publishes a study's next sizing round."""
    publishers = {
        c.flag("--member")
        for c in first_build
        if c.argv[2:5] == ["topics", "add-iam-policy-binding", "fleetsim-jobs"]
        and c.flag("--role") == "roles/pubsub.publisher"
    }
    assert publishers == {
        "serviceAccount:fleetsim-api@proj.iam.gserviceaccount.com",
        "serviceAccount:fleetsim-worker@proj.iam.gserviceaccount.com",
    }


def test_existing_topics_are_not_created_again(next_build: list[Call]) -> None:
    assert not calls_of(next_build, "gcloud", "pubsub", "topics", "create")
    assert not calls_of(next_build, "gcloud", "pubsub", "subscriptions", "create")


def test_a_build_without_short_sha_stops_before_building(tmp_path: Path) -> None:
    with pytest.raises(StepFailedError) as failed:
        run_build(tmp_path, existing=False, SHORT_SHA="", _BUCKET="")
    assert failed.value.step == "preflight"
    assert "SHORT_SHA" in failed.value.stderr and "_BUCKET" in failed.value.stderr


def test_scripts_use_only_the_recorded_tools(first_build: list[Call]) -> None:
    """Every step ran to its end with only gcloud and docker faked: no other tool is needed."""
    assert {c.step for c in first_build} == {s["id"] for s in load()["steps"]} - {"preflight"}
