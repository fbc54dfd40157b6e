"""Link: voter rows to residents."""


import dagster as dg

from pemadanan.ingest import IngestResult
from pemadanan.linkage import LinkResult, link_exact_nik
from pipelines.partitions import semester_partitions


@dg.asset(partitions_def=semester_partitions, group_name="link", kinds={"pandas"})
def voter_resident_links(population: IngestResult, voters: IngestResult) -> dg.Output[LinkResult]:
    """Voter rows linked to residents by exact NIK, confirmed by name and sex."""
    result = link_exact_nik(voters.accepted, population.accepted)
    accepted = len(voters.accepted)
    return dg.Output(result, metadata={
        "dagster/row_count": len(result.links),
        "voter_rows": accepted,
        "linked": len(result.links),
        "unlinked": len(result.unlinked),
        "link_rate": round(len(result.links) / accepted, 4) if accepted else 0.0,
        "unlinked_reasons": dg.MetadataValue.md(
            result.unlinked["reason"].value_counts().rename_axis("reason").reset_index(name="rows").to_markdown(index=False)),
    })
