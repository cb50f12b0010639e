# The image behind web, worker and beat in docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The project's own files (templates, static sources, manage.py) are read from /app.
    PYTHONPATH=/app \
    QARION_DATA_DIR=/data \
    QARION_STATIC_ROOT=/app/staticfiles \
    QARION_STATIC_MANIFEST=true

WORKDIR /app

RUN groupadd --system --gid 10001 qarion \
 && useradd --system --uid 10001 --gid qarion --home-dir /app --no-create-home --shell /usr/sbin/nologin qarion

# Dependencies first, in a layer of their own, so a code change does not reinstall them: the
# runtime dependencies and the build backend, read from pyproject.toml alone.
COPY pyproject.toml ./
RUN python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb")); print("\n".join(p["build-system"]["requires"] + p["project"]["dependencies"]))' > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Then the project itself, once, without touching the dependencies (nor fetching a build backend).
COPY . .
RUN pip install . --no-deps --no-build-isolation \
 && rm -rf build ./*.egg-info \
 && mkdir -p /data /app/staticfiles \
 && chown qarion:qarion /data /app/staticfiles

USER qarion

# With DEBUG off, whitenoise serves hashed file names from a manifest that collectstatic
# writes, so the image carries them. A throwaway data directory keeps the build's generated
# secret key out of the image.
RUN QARION_DATA_DIR=/tmp/qarion-build python manage.py collectstatic --noinput \
 && rm -rf /tmp/qarion-build

VOLUME ["/data"]
EXPOSE 8000
CMD ["gunicorn", "qarion.wsgi", "--bind", "0.0.0.0:8000", "--timeout", "120", "--access-logfile", "-"]
