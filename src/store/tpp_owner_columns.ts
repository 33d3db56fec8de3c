import type { ConsentOwner } from '../consent/consent';

/** The columns in which consents and payments record the TPP that owns them. */
export interface TppOwnerColumns {
  tpp_organization_identifier: string;
  tpp_name: string;
  tpp_nca_name: string;
  tpp_nca_id: string;
  tpp_certificate_thumbprint: string;
}

export function ownerFromColumns(row: TppOwnerColumns): ConsentOwner {
  return {
    organizationIdentifier: row.tpp_organization_identifier,
    name: row.tpp_name,
    ncaName: row.tpp_nca_name,
    ncaId: row.tpp_nca_id,
    certificateThumbprint: row.tpp_certificate_thumbprint,
  };
}

export function ownerColumns(owner: ConsentOwner): TppOwnerColumns {
  return {
    tpp_organization_identifier: owner.organizationIdentifier,
    tpp_name: owner.name,
    tpp_nca_name: owner.ncaName,
    tpp_nca_id: owner.ncaId,
    tpp_certificate_thumbprint: owner.certificateThumbprint,
  };
}
