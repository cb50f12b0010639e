"""``manage.py load_demo``: the demo organization, its spaces, users and model records.

Everything goes through the services, so the demo has its audit trail like real data.
Running it again creates nothing new: each object is looked up by slug or username first."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from catalog import lineage, products
from catalog import services as catalog_services
from catalog.models import LineageEdge, Organization, Product, Space
from demo import data as demo_data
from modelrepo import services as modelrepo_services


class Command(BaseCommand):
    help = "Create the demo organization, spaces, users (password 'demo') and model records. Safe to run again."

    def handle(self, *args, **options):
        created = {"users": 0, "spaces": 0, "records": 0}
        with transaction.atomic():
            users = {name: self._user(name, spec, created) for name, spec in demo_data.USERS.items()}
            admin = users["admin"]
            organization = self._organization(admin)
            spaces = {spec["slug"]: self._space(admin, organization, spec, created) for spec in demo_data.SPACES}
            for name, (org_role, space_roles, _, _) in demo_data.USERS.items():
                catalog_services.organization_membership_set(
                    actor=admin, organization=organization, user=users[name], role=org_role
                )
                for space_slug, role in space_roles.items():
                    catalog_services.space_membership_set(actor=admin, space=spaces[space_slug], user=users[name], role=role)
            for space_slug, records in demo_data.RECORDS.items():
                author = users[demo_data.SPACE_AUTHORS[space_slug]]
                for record in records:
                    created["records"] += self._record(author, spaces[space_slug], record)
            self._data_products(users, spaces)
            self._lineage(users, spaces)
        for (space_slug, record_name), releases in demo_data.RELEASES.items():
            author = users[demo_data.SPACE_AUTHORS[space_slug]]
            product = Product.objects.filter(space=spaces[space_slug], name=record_name).first()
            if product is not None:
                self._releases(author, product, releases)

        total = Product.objects.filter(space__organization=organization).count()
        self.stdout.write(
            f"Demo data ready: organization {organization.slug}, spaces "
            f"{', '.join(spaces)}, {total} model records "
            f"(created now: {created['users']} users, {created['spaces']} spaces, {created['records']} records)."
        )
        self.stdout.write(f"Demo logins (password '{demo_data.PASSWORD}'):")
        for name, (_, _, _, description) in demo_data.USERS.items():
            self.stdout.write(f"  {name:<6} {description}")

    def _user(self, username, spec, created):
        _, _, superuser, _ = spec
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        user = User.objects.create_user(
            username=username,
            email=f"{username}@demo.example.com",
            password=demo_data.PASSWORD,
            first_name=username.capitalize(),
            is_staff=superuser,
            is_superuser=superuser,
        )
        created["users"] += 1
        return user

    def _organization(self, admin):
        organization = Organization.objects.filter(slug=demo_data.ORGANIZATION["slug"]).first()
        if organization is None:
            organization = catalog_services.organization_create(actor=admin, **demo_data.ORGANIZATION)
        return organization

    def _space(self, admin, organization, spec, created):
        space = Space.objects.filter(slug=spec["slug"]).first()
        if space is None:
            space = catalog_services.space_create(actor=admin, organization=organization, **spec)
            created["spaces"] += 1
        return space

    def _releases(self, author, product, releases) -> None:
        """Versions and their files, created once (a version that exists is left alone)."""
        from io import BytesIO

        from modelrepo import versions as version_services
        from modelrepo.models import ModelVersion
        from uploads import services as upload_services

        for spec in releases:
            if ModelVersion.objects.filter(product=product, label=spec["label"]).exists():
                continue
            data = {k: spec[k] for k in ("label", "kind", "metrics", "release_notes", "git_tag") if k in spec}
            version = version_services.version_create(actor=author, product=product, data=data)
            for file_name, kind in spec.get("files", []):
                content = demo_data.demo_file_bytes(file_name, product.name)
                session = upload_services.session_start(
                    actor=author, product=product, file_name=file_name, total_size=len(content), artifact_kind=kind,
                    content_type="text/markdown" if file_name.endswith(".md") else "application/octet-stream",
                    version_id=version.pk, make_current=kind != "model_card",
                )
                upload_services.chunk_receive(session=session, index_raw=0, content_length=len(content),
                                              content_digest=None, read=BytesIO(content).read)
                upload_services.session_complete(actor=author, session=session)
                upload_services.session_assemble(session.pk)
            if spec.get("current"):
                version_services.version_make_current(actor=author, product=product, version=version,
                                                      reason="Demo data")

    def _data_products(self, users, spaces):
        for space_slug, items in demo_data.DATA_PRODUCTS.items():
            author = users[demo_data.SPACE_AUTHORS[space_slug]]
            for item in items:
                if not Product.objects.filter(space=spaces[space_slug], name=item["name"]).exists():
                    products.data_product_create(actor=author, space=spaces[space_slug], data=dict(item))

    def _lineage(self, users, spaces):
        def find(key):
            space_slug, name = key
            return Product.objects.filter(space=spaces[space_slug], name=name).first()

        for upstream_key, downstream_key in demo_data.LINEAGE:
            upstream, downstream = find(upstream_key), find(downstream_key)
            if upstream is None or downstream is None:
                continue
            if LineageEdge.objects.filter(upstream=upstream, downstream=downstream).exists():
                continue
            author = users[demo_data.SPACE_AUTHORS[downstream_key[0]]]
            lineage.edge_add(actor=author, upstream=upstream, downstream=downstream)

    def _record(self, author, space, record) -> int:
        data = {key: value for key, value in record.items() if key != "tags"}
        data["slug"] = slugify(record["name"])
        if Product.objects.filter(space=space, slug=data["slug"]).exists():
            return 0
        modelrepo_services.model_record_create(actor=author, space=space, data=data, tags=record.get("tags"))
        return 1
