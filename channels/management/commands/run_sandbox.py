"""`python manage.py run_sandbox --port 8100 [--host 127.0.0.1] [--chatter 6]`: the sandbox
networks in the foreground (a thin wrapper around channels.sandbox.server.SandboxServer);
with --chatter, its public keeps talking to the accounts that published."""

from django.conf import settings
from django.core.management.base import BaseCommand

from channels.sandbox import public
from channels.sandbox.control import start_chatter
from channels.sandbox.server import SandboxServer


class Command(BaseCommand):
    help = "Serve the sandbox X, Facebook, YouTube and Flickr APIs on loopback."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help="Interface to listen on. The sandbox has no authentication: keep it on loopback.",
        )
        parser.add_argument(
            "--chatter",
            type=float,
            default=0,
            help="Things the public says a minute to the accounts that published (0: it stays silent).",
        )

    def handle(self, *args, host: str, port: int, chatter: float, **options) -> None:
        server = SandboxServer(host=host, port=port)
        # The sandbox checks Flickr's OAuth 1.0a signatures: it must know our consumer secret.
        flickr = settings.SOCIAL_APPS["flickr"]
        server.state.register_app("flickr", flickr["client_id"], flickr["client_secret"])
        # Our Facebook app, which requires appsecret_proof (as it should on Facebook).
        facebook = settings.SOCIAL_APPS["facebook"]
        server.state.register_app("facebook", facebook["client_id"], facebook["client_secret"])
        if chatter > 0:
            # Every language the public speaks: the missions' are all among them.
            start_chatter(server.state, {"per_minute": chatter, "languages": list(public.LINES)})
        self.stdout.write(f"Sandbox networks on {server.url} (feeds: {server.url}/_sandbox/). Ctrl-C to stop.")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Sandbox stopped.")
