# One image for web, workers and beat (docker-compose.yml). Production settings.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=diplomacy_hub.settings.production

WORKDIR /app

# Every runtime dependency ships as a wheel (psycopg2-binary, Pillow, cryptography): no compiler.
# The weekly report's PDF font (ANALYTICS_PDF_FONT): DejaVu Sans, Latin and Arabic.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

COPY requirements.txt ./
RUN pip install -r requirements.txt

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home hub

COPY . .

# Static files are collected into the image (whitenoise serves them). The settings need a
# key to load; this one exists only during the build.
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost CELERY_BROKER_URL=redis://build-only:6379/0 \
    python manage.py collectstatic --noinput --verbosity 0 \
 && mkdir -p /app/var/media \
 && chown -R hub:hub /app/var/media

USER hub
EXPOSE 8000

CMD ["gunicorn", "diplomacy_hub.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", \
     "--timeout", "60", "--no-control-socket", "--access-logfile", "-"]
